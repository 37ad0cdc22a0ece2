# --- Project and environment ---------------------------------------------------------------------

variable "aws_region" {
  description = "AWS region every resource of this stack lives in."
  type        = string
}

variable "environment" {
  description = "Environment this state describes: demo, dev, stg or prod (selects names from infra/names.json)."
  type        = string

  validation {
    condition     = contains(keys(local.project.environments), var.environment)
    error_message = "environment must be one of the environments in infra/names.json."
  }
}

variable "enable_frontend" {
  description = "Run the Next.js frontend service (the project was generated with frontend=nextjs)."
  type        = bool
}

variable "enable_websocket" {
  description = "Run the websocket (ASGI) service behind /ws/* (use_websocket=y)."
  type        = bool
}

variable "enable_celery" {
  description = "Run the Celery worker and beat services (use_celery=y)."
  type        = bool
}

# --- Domain and TLS ------------------------------------------------------------------------------

variable "domain_name" {
  description = "Domain the site is served on (DNS points at the ALB); empty to use the ALB's own name."
  type        = string
  default     = ""

  validation {
    condition     = var.domain_name == "" || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be a lowercase domain name such as shop.example.com, or empty."
  }
}

variable "certificate_arn" {
  description = "Bring your own ACM certificate for domain_name: HTTPS listener, HTTP redirects to HTTPS. Empty: with domain_name, the stack requests its own certificate (certificate.tf); without, plain HTTP."
  type        = string
  default     = ""

  validation {
    condition     = var.certificate_arn == "" || can(regex("^arn:aws[a-z-]*:acm:", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN or empty."
  }

  validation {
    condition     = var.certificate_arn == "" || var.domain_name != ""
    error_message = "certificate_arn needs domain_name: the certificate is for a domain, not for the load balancer's own name."
  }
}

variable "hosted_zone_id" {
  description = "ID of the Route 53 hosted zone that holds domain_name (such as Z0123456789ABCDEFGHIJ). When set: the certificate is validated through it and an alias record points domain_name at the ALB. Empty: DNS is yours to edit (outputs certificate_validation_records, alb_dns_name)."
  type        = string
  default     = ""

  validation {
    condition     = var.hosted_zone_id == "" || can(regex("^[A-Z0-9]{1,32}$", var.hosted_zone_id))
    error_message = "hosted_zone_id must be a Route 53 hosted zone ID (capital letters and digits, without /hostedzone/) or empty."
  }

  validation {
    condition     = var.hosted_zone_id == "" || var.domain_name != ""
    error_message = "hosted_zone_id needs domain_name: the zone gets records for that name."
  }
}

variable "certificate_records_published" {
  description = "Without hosted_zone_id: set true once the certificate_validation_records output is in domain_name's DNS. The next apply waits until ACM issues the certificate, then adds the HTTPS listener and the redirect."
  type        = bool
  default     = false

  validation {
    condition     = !var.certificate_records_published || (var.domain_name != "" && var.certificate_arn == "" && var.hosted_zone_id == "")
    error_message = "certificate_records_published applies to the stack's own certificate validated in DNS you manage: it needs domain_name, and neither certificate_arn nor hosted_zone_id."
  }
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

# --- Network -------------------------------------------------------------------------------------

variable "vpc_cidr" {
  description = "CIDR block of the VPC; subnets are /24s carved from it."
  type        = string
  default     = "10.20.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) <= 20
    error_message = "vpc_cidr must be a valid CIDR block of /20 or larger."
  }
}

variable "enable_nat_gateway" {
  description = "Run tasks in private subnets behind one NAT gateway (stg/prod). False: tasks run in public subnets with public IPs and no NAT (demo/dev, saves the NAT's hourly charge)."
  type        = bool
}

variable "enable_flow_logs" {
  description = "Send VPC flow logs (rejected traffic) to CloudWatch Logs."
  type        = bool
  default     = false
}

variable "enable_exec" {
  description = "ECS Exec for `ops exec`: a shell in a running task for anyone allowed ecs:ExecuteCommand on the cluster. Turns on enable_execute_command on every service and lets the task role open the SSM session channels (ssmmessages). Tasks started before a change keep the old setting until the next deploy."
  type        = bool
  default     = true
}

# --- Services ------------------------------------------------------------------------------------

variable "task_layout" {
  description = <<-EOT
    How the processes run on Fargate.
    "per-process": one ECS service per process (web, websocket, frontend, worker, beat), each sized,
    counted and autoscaled on its own (service_sizes); deploys roll without downtime (stg/prod).
    "packed": one service whose single task runs every process as a container, sized by
    packed_task_size: one network interface and one public IPv4 address instead of one per process,
    one Fargate size instead of five (demo/dev). It runs exactly one task and never autoscales; a
    deploy starts the new task beside the old one and stops the old one once the new one is healthy,
    so for that minute two beats run (the periodic tasks are idempotent).
  EOT
  type        = string
  default     = "per-process"

  validation {
    condition     = contains(["per-process", "packed"], var.task_layout)
    error_message = "task_layout must be per-process or packed."
  }
}

variable "packed_task_size" {
  description = "Fargate CPU units and memory (MiB) of the one task of task_layout = \"packed\"; its containers share them (none has a limit of its own)."
  type = object({
    cpu    = number
    memory = number
  })
  default = { cpu = 512, memory = 1024 }

  validation {
    condition     = contains(lookup(local.fargate_memory_by_cpu, tostring(var.packed_task_size.cpu), []), var.packed_task_size.memory)
    error_message = "packed_task_size must be a Fargate task size: cpu 256 with memory 512, 1024 or 2048; cpu 512 with 1024-4096; cpu 1024 with 2048-8192; cpu 2048 with 4096-16384; cpu 4096 with 8192-30720 (whole GiB above 512 MiB)."
  }
}

variable "capacity_provider" {
  description = "Capacity the services' tasks run on. FARGATE: on demand. FARGATE_SPOT: spare capacity, billed at a price that moves with supply (typically 50-70 % below on demand); AWS may reclaim a task with two minutes' notice (SIGTERM, then the service starts a replacement once capacity is available: minutes without the processes of that task), so demo/dev only. One-off tasks (migrations, ops manage) always run on demand; the periodic management commands without Celery (scheduled_tasks.tf) run on this capacity: they are idempotent, and the next run makes up for a reclaimed one."
  type        = string
  default     = "FARGATE"

  validation {
    condition     = contains(["FARGATE", "FARGATE_SPOT"], var.capacity_provider)
    error_message = "capacity_provider must be FARGATE or FARGATE_SPOT."
  }
}

variable "redis" {
  description = "Where Redis (cache, Celery broker, channel layer) runs. \"elasticache\": a managed replication group (cache_node_type, cache_node_count; TLS, snapshots, failover with 2+ nodes). \"container\": a container of the packed task (task_layout = \"packed\"), reached on localhost and paid for only as part of the task's memory; nothing persists: replacing the task (a deploy, a Spot reclaim, a crash) empties the cache and loses queued Celery tasks and websocket messages in flight."
  type        = string
  default     = "elasticache"

  validation {
    condition     = contains(["elasticache", "container"], var.redis)
    error_message = "redis must be elasticache or container."
  }

  validation {
    condition     = var.redis == "elasticache" || var.task_layout == "packed"
    error_message = "redis = \"container\" needs task_layout = \"packed\": a container is reachable only from its own task."
  }
}

variable "redis_container_image" {
  description = "Image of the Redis container (redis = \"container\"): Amazon ECR Public's copy of the Docker official image, which Fargate pulls without Docker Hub's anonymous rate limit."
  type        = string
  default     = "public.ecr.aws/docker/library/redis:7-alpine"

  validation {
    condition     = can(regex("^[a-z0-9.-]+(/[a-z0-9._-]+)+(:[A-Za-z0-9_.-]+|@sha256:[0-9a-f]{64})$", var.redis_container_image))
    error_message = "redis_container_image must be an image reference with a registry, a repository and a tag or digest."
  }
}

variable "service_sizes" {
  description = "task_layout = \"per-process\": Fargate CPU units, memory (MiB) and task count per service: web, websocket, frontend, worker, beat. Beat always runs exactly one task. Services are created with zero tasks; the first `ops deploy` raises them to these counts (with autoscaling, desired_count is the minimum). In the packed layout only web's size is used, by one-off tasks (migrations, ops manage)."
  type = map(object({
    cpu           = number
    memory        = number
    desired_count = number
  }))
  default = {
    web       = { cpu = 256, memory = 512, desired_count = 1 }
    websocket = { cpu = 256, memory = 512, desired_count = 1 }
    frontend  = { cpu = 256, memory = 512, desired_count = 1 }
    worker    = { cpu = 256, memory = 512, desired_count = 1 }
    beat      = { cpu = 256, memory = 512, desired_count = 1 }
  }

  validation {
    condition     = alltrue([for service in ["web", "websocket", "frontend", "worker", "beat"] : contains(keys(var.service_sizes), service)])
    error_message = "service_sizes needs an entry for each of web, websocket, frontend, worker, beat."
  }

  validation {
    condition     = alltrue([for size in values(var.service_sizes) : contains(lookup(local.fargate_memory_by_cpu, tostring(size.cpu), []), size.memory)])
    error_message = "Each service size must be a Fargate task size: cpu 256 with memory 512, 1024 or 2048; cpu 512 with 1024-4096; cpu 1024 with 2048-8192; cpu 2048 with 4096-16384; cpu 4096 with 8192-30720 (whole GiB above 512 MiB)."
  }

  validation {
    condition     = lookup(var.service_sizes, "beat", { cpu = 256, memory = 512, desired_count = 1 }).desired_count == 1
    error_message = "beat must run exactly one task (two would schedule every periodic task twice)."
  }
}

variable "initial_image_tag" {
  description = "Placeholder image tag of the first task definitions. Services start with zero tasks, so it is never pulled; `ops deploy` registers revisions with SHA-tagged images."
  type        = string
  default     = "initial"

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.initial_image_tag)) && var.initial_image_tag != "latest"
    error_message = "initial_image_tag must be a valid image tag other than latest (images are immutable and SHA-tagged)."
  }
}

variable "health_check_grace_period_seconds" {
  description = "Seconds ECS ignores failing load-balancer health checks after a task starts."
  type        = number
  default     = 60
}

variable "deregistration_delay_seconds" {
  description = "Seconds the ALB keeps draining a target before it is removed (in-flight requests finish)."
  type        = number
  default     = 30
}

variable "websocket_idle_timeout_seconds" {
  description = "ALB idle timeout: websocket connections that send nothing for this long are closed."
  type        = number
  default     = 300
}

variable "container_insights" {
  description = "Turn on ECS Container Insights for the cluster (extra CloudWatch metrics, billed)."
  type        = bool
}

variable "autoscaling_enabled" {
  description = "Scale web, websocket, frontend and worker between their desired_count and autoscaling_max_count (task_layout = \"per-process\" only: the packed task runs beat, which must run once)."
  type        = bool

  validation {
    condition     = !var.autoscaling_enabled || var.task_layout == "per-process"
    error_message = "autoscaling_enabled needs task_layout = \"per-process\": the packed task runs beat, which must never run twice."
  }
}

variable "autoscaling_max_count" {
  description = "Upper bound of tasks per scaled service."
  type        = number
  default     = 4
}

variable "autoscaling_cpu_target" {
  description = "Average CPU utilisation (percent) target tracking keeps services at."
  type        = number
  default     = 60
}

variable "autoscaling_requests_per_target" {
  description = "ALB requests per target per minute that web and frontend scale to hold."
  type        = number
  default     = 1000
}

# --- Data ----------------------------------------------------------------------------------------

variable "db_instance_class" {
  description = "RDS instance class. Graviton classes (db.t4g.*) cost less for the same size and need nothing from the images: the database is a managed service."
  type        = string
}

variable "db_allocated_storage_gb" {
  description = "Initial RDS storage in GiB (gp3)."
  type        = number
  default     = 20
}

variable "db_max_allocated_storage_gb" {
  description = "Upper bound for RDS storage autoscaling in GiB."
  type        = number
  default     = 100
}

variable "db_backup_retention_days" {
  description = "Days RDS keeps automated backups (1 demo ... 14+ prod)."
  type        = number

  validation {
    condition     = var.db_backup_retention_days >= 1 && var.db_backup_retention_days <= 35
    error_message = "db_backup_retention_days must be between 1 and 35."
  }
}

variable "db_multi_az" {
  description = "Run a standby RDS instance in a second availability zone (doubles the instance cost)."
  type        = bool
  default     = false
}

variable "db_username" {
  description = "Master user name of the database; its password is generated and kept by RDS in Secrets Manager."
  type        = string
  default     = "app"
}

variable "db_performance_insights" {
  description = "Turn on RDS Performance Insights (free 7-day tier; not offered on every instance class)."
  type        = bool
  default     = false
}

variable "cache_node_type" {
  description = "ElastiCache node type (redis = \"elasticache\")."
  type        = string
  default     = "cache.t3.micro"
}

variable "cache_node_count" {
  description = "Redis nodes in the replication group: 1, or 2+ for a replica with automatic failover."
  type        = number
  default     = 1

  validation {
    condition     = var.cache_node_count >= 1 && var.cache_node_count <= 6
    error_message = "cache_node_count must be between 1 and 6."
  }
}

variable "cache_snapshot_retention_days" {
  description = "Days ElastiCache keeps daily snapshots (0 turns them off)."
  type        = number
  default     = 0
}

# --- Protection and retention --------------------------------------------------------------------

variable "deletion_protection" {
  description = "Protect data from terraform destroy: RDS deletion protection and final snapshot, ALB deletion protection, ECR and S3 refuse to delete non-empty stores, secrets get a recovery window."
  type        = bool
}

variable "media_versioning" {
  description = "Keep earlier versions of media objects."
  type        = bool
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps service logs (7 demo, 14 dev, 30 stg, 90 prod)."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "ecr_keep_images" {
  description = "Images each ECR repository keeps for rollbacks."
  type        = number
  default     = 20
}

# --- Alarms --------------------------------------------------------------------------------------

variable "alarm_email" {
  description = "E-mail address subscribed to the alarm topic and to the budget's notifications (confirm the subscription mail); empty for none: the alarms and the budget then publish to the topic alone."
  type        = string
  default     = ""

  validation {
    condition     = var.alarm_email == "" || can(regex("^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:].]+$", var.alarm_email))
    error_message = "alarm_email must be an e-mail address (name@domain) or empty."
  }

  validation {
    # RFC 2606 names: mail to them goes nowhere, so an alarm subscribed to one is never read.
    condition     = !can(regex("(?i)(@|\\.)example\\.(com|org|net)$|(?i)\\.(example|invalid|test|localhost)$", var.alarm_email))
    error_message = "alarm_email is a placeholder address (example.com/.org/.net, .example, .invalid, .test, .localhost): set a real one or leave it empty."
  }
}

variable "alarm_cpu_percent" {
  description = "Service and database CPU utilisation (percent) that raises an alarm."
  type        = number
  default     = 85
}

variable "alarm_memory_percent" {
  description = "Service memory utilisation (percent) that raises an alarm."
  type        = number
  default     = 85
}

variable "alarm_db_free_storage_gb" {
  description = "Free RDS storage (GiB) below which an alarm is raised."
  type        = number
  default     = 2
}

variable "alarm_5xx_per_5_minutes" {
  description = "5xx responses (from the ALB or the targets) in five minutes that raise an alarm."
  type        = number
  default     = 10
}

variable "monthly_budget_usd" {
  description = "Estimated monthly cost of this environment in USD (infra/README.md): an AWS Budget over costs tagged Environment=<environment> notifies at 80 % actual and 100 % forecast."
  type        = number

  validation {
    condition     = var.monthly_budget_usd > 0
    error_message = "monthly_budget_usd must be a positive number of US dollars."
  }
}

variable "alarm_p95_latency_seconds" {
  description = "The 95th percentile of the targets' response time (ALB TargetResponseTime) over five minutes that raises an alarm."
  type        = number
  default     = 1.5

  validation {
    condition     = var.alarm_p95_latency_seconds > 0 && var.alarm_p95_latency_seconds <= 60
    error_message = "alarm_p95_latency_seconds must be between 0 and 60 seconds."
  }
}

variable "alarm_db_connections" {
  description = "Open database connections (RDS DatabaseConnections, five-minute maximum) that raise an alarm. PostgreSQL's default max_connections on RDS is DBInstanceClassMemory / 9531392, a little under 112 per GiB of the class's memory (SHOW max_connections tells); set this to about 75 % of it."
  type        = number
  default     = 60

  validation {
    condition     = var.alarm_db_connections >= 1
    error_message = "alarm_db_connections must be at least 1."
  }
}
