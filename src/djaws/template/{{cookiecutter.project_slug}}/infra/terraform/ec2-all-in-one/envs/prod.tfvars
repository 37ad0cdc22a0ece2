# prod: a t3.small with termination protection, versioned media and a month of backups.
environment = "prod"
domain_name = "{{ cookiecutter.domain_name }}"

vpc_cidr         = "10.33.0.0/16"
instance_type    = "t3.small"
root_volume_gb   = 40
swap_size_mb     = 2048
enable_flow_logs = true

deletion_protection = true
media_versioning    = true
backup_expiry_days  = 30
log_retention_days  = 90
alarm_email         = "{{ cookiecutter.author_email }}"
