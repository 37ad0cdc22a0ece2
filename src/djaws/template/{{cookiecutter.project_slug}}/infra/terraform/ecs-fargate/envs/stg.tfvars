# stg: production's shape (private subnets, NAT, autoscaling) at a smaller size.
environment     = "stg"
domain_name     = "{{ 'stg.' ~ cookiecutter.domain_name if cookiecutter.domain_name else '' }}"
certificate_arn = ""

vpc_cidr           = "10.22.0.0/16"
enable_nat_gateway = true
enable_flow_logs   = true

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
alarm_email         = "{{ cookiecutter.author_email }}"
