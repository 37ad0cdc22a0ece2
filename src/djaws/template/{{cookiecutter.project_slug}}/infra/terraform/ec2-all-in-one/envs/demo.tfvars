# demo: one t3.micro runs everything (~$25/month: `make cost ENV=demo`).
environment = "demo"
domain_name = "{{ 'demo.' ~ cookiecutter.domain_name if cookiecutter.domain_name else '' }}"
# HTTPS on the host (deploy/ec2/tls.sh): letsencrypt (certbot; domain_name's A record must point at
# the public_ip output), cloudflare (behind Cloudflare's proxy, infra/README.md) or off.
tls_mode = "{{ 'letsencrypt' if cookiecutter.domain_name else 'off' }}"

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

# `make cost`'s estimate rounded up to the next $5: the budget notifies at 80 % spent and 100 % forecast.
monthly_budget_usd = 30
