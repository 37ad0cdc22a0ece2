# stg: production's shape on a t3.small (~$35/month: `make cost ENV=stg`).
environment = "stg"
domain_name = "{{ 'stg.' ~ cookiecutter.domain_name if cookiecutter.domain_name else '' }}"
# HTTPS on the host (deploy/ec2/tls.sh): letsencrypt (certbot; domain_name's A record must point at
# the public_ip output), cloudflare (behind Cloudflare's proxy, infra/README.md) or off.
tls_mode = "{{ 'letsencrypt' if cookiecutter.domain_name else 'off' }}"

vpc_cidr         = "10.32.0.0/16"
instance_type    = "t3.small"
root_volume_gb   = 30
swap_size_mb     = 2048
enable_flow_logs = true

deletion_protection = false
media_versioning    = false
backup_expiry_days  = 14
log_retention_days  = 30
# Empty when the address is a placeholder (example.com/.org/.net): nobody would read the alarms.
alarm_email = "{{ '' if cookiecutter.author_email.split('@')[-1].lower() in ('example.com', 'example.org', 'example.net') else cookiecutter.author_email }}"

# `make cost`'s estimate rounded up to the next $5: the budget notifies at 80 % spent and 100 % forecast.
monthly_budget_usd = 40
