# demo: one t3.micro runs everything (~$12/month with its volume and address, infra/README.md).
environment = "demo"
domain_name = "{{ 'demo.' ~ cookiecutter.domain_name if cookiecutter.domain_name else '' }}"

vpc_cidr         = "10.30.0.0/16"
instance_type    = "t3.micro"
root_volume_gb   = 30
swap_size_mb     = 2048
enable_flow_logs = false

deletion_protection = false
media_versioning    = false
backup_expiry_days  = 7
log_retention_days  = 7
alarm_email         = ""
