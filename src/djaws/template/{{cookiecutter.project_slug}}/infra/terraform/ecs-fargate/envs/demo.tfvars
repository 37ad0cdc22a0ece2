# demo: a client demo, as cheap as it gets and destroyable at any time (~$70/month, infra/README.md).
environment = "demo"
domain_name = "{{ 'demo.' ~ cookiecutter.domain_name if cookiecutter.domain_name else '' }}"
# An ACM certificate ARN for domain_name turns on HTTPS (and HTTP -> HTTPS redirects).
certificate_arn = ""

vpc_cidr           = "10.20.0.0/16"
enable_nat_gateway = false
enable_flow_logs   = false

service_sizes = {
  web       = { cpu = 256, memory = 512, desired_count = 1 }
  websocket = { cpu = 256, memory = 512, desired_count = 1 }
  frontend  = { cpu = 256, memory = 512, desired_count = 1 }
  worker    = { cpu = 256, memory = 512, desired_count = 1 }
  beat      = { cpu = 256, memory = 512, desired_count = 1 }
}
container_insights  = false
autoscaling_enabled = false

db_instance_class        = "db.t3.micro"
db_backup_retention_days = 1
cache_node_type          = "cache.t3.micro"
cache_node_count         = 1

deletion_protection = false
media_versioning    = false
log_retention_days  = 7
alarm_email         = ""
