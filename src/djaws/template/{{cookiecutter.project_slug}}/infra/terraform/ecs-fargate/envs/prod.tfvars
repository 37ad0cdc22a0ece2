# prod: private subnets behind NAT, two tasks per web process, autoscaling, protections on (~$337/month: `make cost ENV=prod`).
environment = "prod"
domain_name = "{{ cookiecutter.domain_name }}"
# HTTPS for domain_name (certificate.tf): hosted_zone_id (the Route 53 zone holding it) validates the
# stack's own ACM certificate and aliases the domain to the ALB; without a zone, publish the
# certificate_validation_records output in your DNS, then set certificate_records_published = true.
# Or bring your own certificate_arn.
hosted_zone_id  = ""
certificate_arn = ""

vpc_cidr           = "10.23.0.0/16"
enable_nat_gateway = true
enable_flow_logs   = true

# One service per process, each sized and autoscaled on its own, on demand, with managed Redis.
task_layout       = "per-process"
capacity_provider = "FARGATE"
redis             = "elasticache"
service_sizes = {
  web       = { cpu = 512, memory = 1024, desired_count = 2 }
  websocket = { cpu = 512, memory = 1024, desired_count = 2 }
  frontend  = { cpu = 512, memory = 1024, desired_count = 2 }
  worker    = { cpu = 512, memory = 1024, desired_count = 1 }
  beat      = { cpu = 256, memory = 512, desired_count = 1 }
}
container_insights    = true
autoscaling_enabled   = true
autoscaling_max_count = 6

db_instance_class             = "db.t3.small"
db_backup_retention_days      = 14
db_multi_az                   = false
cache_node_type               = "cache.t3.small"
cache_node_count              = 1
cache_snapshot_retention_days = 7

deletion_protection = true
media_versioning    = true
log_retention_days  = 90
# Empty when the address is a placeholder (example.com/.org/.net): nobody would read the alarms.
alarm_email = "{{ '' if cookiecutter.author_email.split('@')[-1].lower() in ('example.com', 'example.org', 'example.net') else cookiecutter.author_email }}"

# `make cost`'s estimate rounded up to the next $5: the budget notifies at 80 % spent and 100 % forecast.
monthly_budget_usd = 340
# db.t3.small (2 GiB): max_connections is a little under 225.
alarm_db_connections = 150
