# stg: production's shape on a t3.small.
environment = "stg"
domain_name = "{{ 'stg.' ~ cookiecutter.domain_name if cookiecutter.domain_name else '' }}"

vpc_cidr         = "10.32.0.0/16"
instance_type    = "t3.small"
root_volume_gb   = 30
swap_size_mb     = 2048
enable_flow_logs = true

deletion_protection = false
media_versioning    = false
backup_expiry_days  = 14
log_retention_days  = 30
alarm_email         = "{{ cookiecutter.author_email }}"
