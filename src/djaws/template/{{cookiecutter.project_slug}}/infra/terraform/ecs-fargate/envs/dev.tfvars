# dev: the integration environment; demo's profile with 0.5 vCPU, longer logs and backups (~$67/month: `make cost ENV=dev`).
environment = "dev"
domain_name = "{{ 'dev.' ~ cookiecutter.domain_name if cookiecutter.domain_name else '' }}"
# HTTPS for domain_name (certificate.tf): hosted_zone_id (the Route 53 zone holding it) validates the
# stack's own ACM certificate and aliases the domain to the ALB; without a zone, publish the
# certificate_validation_records output in your DNS, then set certificate_records_published = true.
# Or bring your own certificate_arn.
hosted_zone_id  = ""
certificate_arn = ""

vpc_cidr           = "10.21.0.0/16"
enable_nat_gateway = false
enable_flow_logs   = false

# Every process in one task (one network interface, one public address), on Fargate Spot, with
# Redis as a container of that task: see task_layout, capacity_provider and redis in variables.tf
# for what each gives up (a Spot reclaim stops the site until a new task runs; Redis
# keeps nothing across task replacements).
task_layout       = "packed"
packed_task_size  = { cpu = 512, memory = 1024 }
capacity_provider = "FARGATE_SPOT"
redis             = "container"

container_insights  = false
autoscaling_enabled = false

db_instance_class        = "db.t4g.micro"
db_backup_retention_days = 3

deletion_protection = false
media_versioning    = false
log_retention_days  = 14
alarm_email         = ""

# `make cost`'s estimate rounded up to the next $5: the budget notifies at 80 % spent and 100 % forecast.
monthly_budget_usd = 70
