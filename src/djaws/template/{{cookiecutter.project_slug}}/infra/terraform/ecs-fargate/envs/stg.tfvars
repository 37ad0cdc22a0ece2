# stg: production's shape (private subnets, NAT, autoscaling) at a smaller size (~$187/month: `make cost ENV=stg`).
environment = "stg"
domain_name = "{{ 'stg.' ~ cookiecutter.domain_name if cookiecutter.domain_name else '' }}"
# HTTPS for domain_name (certificate.tf): hosted_zone_id (the Route 53 zone holding it) validates the
# stack's own ACM certificate and aliases the domain to the ALB; without a zone, publish the
# certificate_validation_records output in your DNS, then set certificate_records_published = true.
# Or bring your own certificate_arn.
hosted_zone_id  = ""
certificate_arn = ""

vpc_cidr           = "10.22.0.0/16"
enable_nat_gateway = true
enable_flow_logs   = true

# One service per process, each sized and autoscaled on its own, on demand, with managed Redis.
task_layout       = "per-process"
capacity_provider = "FARGATE"
redis             = "elasticache"
service_sizes = {
  web       = { cpu = 512, memory = 1024, desired_count = 1 }
  websocket = { cpu = 256, memory = 512, desired_count = 1 }
  frontend  = { cpu = 256, memory = 512, desired_count = 1 }
  worker    = { cpu = 256, memory = 512, desired_count = 1 }
  beat      = { cpu = 256, memory = 512, desired_count = 1 }
}
container_insights    = false
autoscaling_enabled   = true
autoscaling_max_count = 2

db_instance_class        = "db.t3.micro"
db_backup_retention_days = 7
cache_node_type          = "cache.t3.micro"
cache_node_count         = 1

deletion_protection = false
media_versioning    = false
log_retention_days  = 30
# Empty when the address is a placeholder (example.com/.org/.net): nobody would read the alarms.
alarm_email = "{{ '' if cookiecutter.author_email.split('@')[-1].lower() in ('example.com', 'example.org', 'example.net') else cookiecutter.author_email }}"

# `make cost`'s estimate rounded up to the next $5: the budget notifies at 80 % spent and 100 % forecast.
monthly_budget_usd = 190
