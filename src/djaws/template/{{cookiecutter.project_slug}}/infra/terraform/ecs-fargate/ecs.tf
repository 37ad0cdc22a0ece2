# One cluster; one task definition and one service per process. The backend image runs as web,
# websocket, worker and beat with different commands.
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
  cluster_name       = aws_ecs_cluster.main.name
  capacity_providers = ["FARGATE"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

locals {
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
    REDIS_URL               = "rediss://${aws_elasticache_replication_group.main.primary_endpoint_address}:6379/0"
    AWS_REGION              = var.aws_region
    AWS_STORAGE_BUCKET_NAME = module.media_bucket.bucket
    # The load balancer appends the client's address to X-Forwarded-For; rate limits key on it.
    TRUSTED_PROXY_HOPS = "1"
  }
  # ECS injects these once, at start. Not the database password: RDS rotates it every 7 days, so the
  # backend reads DB_PASSWORD_SECRET_ARN when a connection opens (backend/config/database/).
  backend_secrets = {
    SECRET_KEY = aws_secretsmanager_secret.django_secret_key.arn
  }
  frontend_environment = {
    NODE_ENV                = "production"
    HOSTNAME                = "0.0.0.0"
    PORT                    = "3000"
    NEXT_TELEMETRY_DISABLED = "1"
  }

  # What each service runs: image, command, port (null for processes without a load balancer).
  containers = {
    web = {
      image       = local.backend_image
      command     = ["python", "-m", "config.server"]
      port        = 8000
      environment = local.backend_environment
      secrets     = local.backend_secrets
    }
    websocket = {
      image       = local.backend_image
      command     = ["python", "-m", "config.websocket"]
      port        = 8001
      environment = local.backend_environment
      secrets     = local.backend_secrets
    }
    frontend = {
      image       = local.frontend_image
      command     = ["node", "server.js"]
      port        = 3000
      environment = local.frontend_environment
      secrets     = {}
    }
    worker = {
      image       = local.backend_image
      command     = ["python", "-m", "config.worker"]
      port        = null
      environment = local.backend_environment
      secrets     = local.backend_secrets
    }
    beat = {
      image       = local.backend_image
      command     = ["python", "-m", "config.beat"]
      port        = null
      environment = local.backend_environment
      secrets     = local.backend_secrets
    }
  }

  target_groups = {
    web       = aws_lb_target_group.backend.arn
    websocket = var.enable_websocket ? aws_lb_target_group.websocket[0].arn : null
    frontend  = var.enable_frontend ? aws_lb_target_group.frontend[0].arn : null
  }
}

resource "aws_ecs_task_definition" "service" {
  #checkov:skip=CKV_AWS_336:The app writes to /tmp (celery beat schedule and Next.js caches); the images run as a non-root user instead.
  for_each = local.enabled_services

  family                   = local.service_names[each.key]
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.service_sizes[each.key].cpu
  memory                   = var.service_sizes[each.key].memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  container_definitions = jsonencode([
    {
      name         = each.key
      image        = local.containers[each.key].image
      command      = local.containers[each.key].command
      essential    = true
      portMappings = local.containers[each.key].port == null ? [] : [{ containerPort = local.containers[each.key].port, hostPort = local.containers[each.key].port, protocol = "tcp" }]
      environment  = [for name, value in local.containers[each.key].environment : { name = name, value = value }]
      secrets      = [for name, arn in local.containers[each.key].secrets : { name = name, valueFrom = arn }]
      # ECS Exec runs the SSM agent inside the task; it needs an init process to reap it.
      linuxParameters = { initProcessEnabled = true }
      stopTimeout     = 30
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.service[each.key].name
          awslogs-region        = var.aws_region
          awslogs-stream-prefix = each.key
        }
      }
    },
  ])
}

resource "aws_ecs_service" "service" {
  for_each = local.enabled_services

  name            = local.service_names[each.key]
  cluster         = aws_ecs_cluster.main.id
  task_definition = aws_ecs_task_definition.service[each.key].arn
  launch_type     = "FARGATE"
  # Zero until the first `ops deploy`: there is no image to run yet (see the top of this file).
  desired_count = 0

  # Beat must never run twice: stop the old task before starting the new one.
  deployment_minimum_healthy_percent = each.key == "beat" ? 0 : 100
  deployment_maximum_percent         = each.key == "beat" ? 100 : 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  enable_execute_command = var.enable_exec
  propagate_tags         = "SERVICE"

  health_check_grace_period_seconds = lookup(local.target_groups, each.key, null) == null ? null : var.health_check_grace_period_seconds

  network_configuration {
    subnets          = local.task_subnet_ids
    security_groups  = [aws_security_group.app.id]
    assign_public_ip = !var.enable_nat_gateway
  }

  dynamic "load_balancer" {
    for_each = lookup(local.target_groups, each.key, null) == null ? [] : [local.target_groups[each.key]]

    content {
      target_group_arn = load_balancer.value
      container_name   = each.key
      container_port   = local.containers[each.key].port
    }
  }

  lifecycle {
    ignore_changes = [desired_count, task_definition]
  }

  depends_on = [aws_lb_listener.http, aws_lb_listener.https, aws_iam_role_policy.execution]
}
