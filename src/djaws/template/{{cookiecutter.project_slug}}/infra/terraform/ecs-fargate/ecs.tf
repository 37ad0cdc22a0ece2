# One cluster. var.task_layout decides the services: one per process (stg/prod: each process sized,
# counted and scaled on its own), or one service whose task runs every process as a container
# (demo/dev: one network interface and one public address, one Fargate size). The backend image runs
# as web, websocket, worker and beat with different commands; locals.tf lists the processes once.
#
# Terraform owns the shape of each task definition (sizes, commands, settings, roles); `ops deploy`
# owns what runs. Services start with zero tasks and a placeholder image tag that is never pulled
# (var.initial_image_tag): the first `ops deploy` pushes SHA-tagged images, registers a revision of
# each family with only the image changed, runs migrations as a one-off task of the new web revision,
# and raises every service to its configured count (output service_desired_counts). Terraform
# therefore ignores each service's desired_count and task_definition after creation; a settings
# change here registers a new revision of the family, which the next `ops deploy` builds on.

resource "aws_ecs_cluster" "main" {
  #checkov:skip=CKV_AWS_65:Container Insights bills per metric; var.container_insights turns it on (prod).
  name = local.names.ecs_cluster

  setting {
    name  = "containerInsights"
    value = var.container_insights ? "enabled" : "disabled"
  }
}

resource "aws_ecs_cluster_capacity_providers" "main" {
  cluster_name = aws_ecs_cluster.main.name
  # Services use var.capacity_provider; one-off tasks (migrations) run on demand (FARGATE).
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

locals {
  # Redis in the same task answers on localhost, in plain text; ElastiCache over TLS.
  redis_url      = local.redis_container ? "redis://localhost:6379/0" : "rediss://${aws_elasticache_replication_group.main[0].primary_endpoint_address}:6379/0"
  backend_image  = "${module.container_registry.repository_urls["backend"]}:${var.initial_image_tag}"
  frontend_image = var.enable_frontend ? "${module.container_registry.repository_urls["frontend"]}:${var.initial_image_tag}" : ""

  backend_environment = {
    ENVIRONMENT             = var.environment
    ALLOWED_HOSTS           = join(",", local.allowed_hosts)
    CSRF_TRUSTED_ORIGINS    = join(",", local.site_origins)
    SITE_URL                = local.site_url
    SERVED_OVER_HTTPS       = tostring(local.site_scheme == "https")
    DB_HOST                 = aws_db_instance.main.address
    DB_PORT                 = tostring(aws_db_instance.main.port)
    DB_NAME                 = local.project.database_name
    DB_USER                 = var.db_username
    DB_PASSWORD_SECRET_ARN  = aws_db_instance.main.master_user_secret[0].secret_arn
    REDIS_URL               = local.redis_url
    AWS_REGION              = var.aws_region
    AWS_STORAGE_BUCKET_NAME = module.media_bucket.bucket
    # The load balancer appends the client's address to X-Forwarded-For; rate limits key on it.
    TRUSTED_PROXY_HOPS = "1"
  }
  # ECS injects these once, at start. Not the database password: RDS rotates it every 7 days, so the
  # backend reads DB_PASSWORD_SECRET_ARN when a connection opens (backend/config/database/).
  backend_secrets = {
    SECRET_KEY      = module.django_secret_key.arn
    READINESS_TOKEN = module.readiness_token.arn
  }
  frontend_environment = {
    NODE_ENV                = "production"
    HOSTNAME                = "0.0.0.0"
    PORT                    = "3000"
    NEXT_TELEMETRY_DISABLED = "1"
  }
  images = { backend = local.backend_image, frontend = local.frontend_image }

  # Each container's definition, as JSON (the Redis container's shape differs from the processes').
  process_containers = {
    for name, process in local.running : name => jsonencode(merge(
      {
        name         = name
        image        = local.images[process.image]
        command      = process.command
        essential    = true
        portMappings = process.port == null ? [] : [{ containerPort = process.port, hostPort = process.port, protocol = "tcp" }]
        environment  = [for key, value in(process.image == "backend" ? local.backend_environment : local.frontend_environment) : { name = key, value = value }]
        secrets      = [for key, arn in(process.image == "backend" ? local.backend_secrets : {}) : { name = key, valueFrom = arn }]
        # ECS Exec runs the SSM agent inside the task; it needs an init process to reap it.
        linuxParameters  = { initProcessEnabled = true }
        stopTimeout      = 30
        logConfiguration = local.log_configuration[name]
      },
      # The backend processes start once Redis (in the same task) answers.
      { for key in(local.redis_container && process.image == "backend" ? ["dependsOn"] : []) : key => [{ containerName = "redis", condition = "HEALTHY" }] },
    ))
  }
  # Every container logs to its own log group, one stream per task.
  log_configuration = {
    for name in local.container_names : name => {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.service[name].name
        awslogs-region        = var.aws_region
        awslogs-stream-prefix = name
      }
    }
  }
  # Redis in the task (var.redis = "container"): on localhost only, nothing on disk, a memory cap
  # with no eviction (the Celery broker must not silently drop messages).
  redis_containers = {
    for name in(local.redis_container ? ["redis"] : []) : name => jsonencode({
      name             = name
      image            = var.redis_container_image
      command          = ["redis-server", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--maxmemory", "64mb", "--maxmemory-policy", "noeviction"]
      essential        = true
      healthCheck      = { command = ["CMD", "redis-cli", "ping"], interval = 10, timeout = 5, retries = 3, startPeriod = 5 }
      linuxParameters  = { initProcessEnabled = true }
      stopTimeout      = 30
      logConfiguration = local.log_configuration[name]
    })
  }
  container_definitions = merge(local.process_containers, local.redis_containers)
}

resource "aws_ecs_task_definition" "service" {
  #checkov:skip=CKV_AWS_336:The app writes to /tmp (celery beat schedule and Next.js caches); the images run as a non-root user instead.
  for_each = local.task_families

  family                   = local.family_names[each.key]
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  # The packed task shares one size among its containers; a one-off web family takes web's size.
  cpu                = each.key == "app" ? var.packed_task_size.cpu : var.service_sizes[each.key].cpu
  memory             = each.key == "app" ? var.packed_task_size.memory : var.service_sizes[each.key].memory
  execution_role_arn = aws_iam_role.execution.arn
  task_role_arn      = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  container_definitions = "[${join(",", [for name in each.value : local.container_definitions[name]])}]"
}

resource "aws_ecs_service" "service" {
  for_each = local.ecs_services

  name            = local.family_names[each.key]
  cluster         = aws_ecs_cluster.main.id
  task_definition = aws_ecs_task_definition.service[each.key].arn
  # Zero until the first `ops deploy`: there is no image to run yet (see the top of this file).
  desired_count = 0

  capacity_provider_strategy {
    capacity_provider = var.capacity_provider
    weight            = 1
  }

  # The beat service stops its old task before starting the new one: two beats would schedule every
  # periodic task twice, and nothing waits on beat. The packed service serves the site, so it rolls
  # like the others: for the minute the old task drains, two beats run, each sending to its own
  # task's Redis, and the periodic tasks are idempotent (a purge or retry finds nothing left to do).
  deployment_minimum_healthy_percent = each.key == "beat" ? 0 : 100
  deployment_maximum_percent         = each.key == "beat" ? 100 : 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  enable_execute_command = var.enable_exec
  propagate_tags         = "SERVICE"

  health_check_grace_period_seconds = length(setintersection(each.value, keys(local.load_balanced))) == 0 ? null : var.health_check_grace_period_seconds

  network_configuration {
    subnets          = local.task_subnet_ids
    security_groups  = [aws_security_group.app.id]
    assign_public_ip = !var.enable_nat_gateway
  }

  # One target group per load-balanced container: the packed service registers its one task in each.
  dynamic "load_balancer" {
    for_each = [for name in each.value : name if contains(keys(local.load_balanced), name)]

    content {
      target_group_arn = aws_lb_target_group.process[load_balancer.value].arn
      container_name   = load_balancer.value
      container_port   = local.load_balanced[load_balancer.value].port
    }
  }

  lifecycle {
    ignore_changes = [desired_count, task_definition]
  }

  depends_on = [aws_lb_listener.http, aws_lb_listener.https, aws_iam_role_policy.execution, aws_ecs_cluster_capacity_providers.main]
}
