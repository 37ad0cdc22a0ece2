# dev: a t3.small (2 GiB) so builds and migrations have room (~$35/month: `make cost ENV=dev`).
environment = "dev"
domain_name = "{{ 'dev.' ~ cookiecutter.domain_name if cookiecutter.domain_name else '' }}"
# HTTPS on the host (deploy/ec2/tls.sh): letsencrypt (certbot; domain_name's A record must point at
# the public_ip output), cloudflare (behind Cloudflare's proxy, infra/README.md) or off.
tls_mode = "{{ 'letsencrypt' if cookiecutter.domain_name else 'off' }}"

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

# `make cost`'s estimate rounded up to the next $5: the budget notifies at 80 % spent and 100 % forecast.
monthly_budget_usd = 35
