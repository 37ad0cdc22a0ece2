# prod: private subnets behind NAT, two tasks per web process, autoscaling, protections on.
environment     = "prod"
domain_name     = "{{ cookiecutter.domain_name }}"
certificate_arn = ""

vpc_cidr           = "10.23.0.0/16"
enable_nat_gateway = true
enable_flow_logs   = true

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
alarm_email         = "{{ cookiecutter.author_email }}"
