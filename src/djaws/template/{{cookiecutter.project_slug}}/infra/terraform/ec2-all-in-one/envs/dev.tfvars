# dev: a t3.small (2 GiB) so builds and migrations have room.
environment = "dev"
domain_name = "{{ 'dev.' ~ cookiecutter.domain_name if cookiecutter.domain_name else '' }}"

vpc_cidr         = "10.31.0.0/16"
instance_type    = "t3.small"
root_volume_gb   = 30
swap_size_mb     = 2048
enable_flow_logs = false

deletion_protection = false
media_versioning    = false
backup_expiry_days  = 7
log_retention_days  = 14
alarm_email         = ""
