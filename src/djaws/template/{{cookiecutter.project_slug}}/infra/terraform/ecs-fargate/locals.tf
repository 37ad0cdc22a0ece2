locals {
  # The task sizes Fargate accepts: the memory (MiB) each CPU value allows (Amazon ECS Developer Guide, "Task CPU
  # and memory"). The size variables are checked against it.
  fargate_memory_by_cpu = {
    "256"  = [512, 1024, 2048]
    "512"  = [1024, 2048, 3072, 4096]
    "1024" = [for gib in range(2, 9) : gib * 1024]
    "2048" = [for gib in range(4, 17) : gib * 1024]
    "4096" = [for gib in range(8, 31) : gib * 1024]
  }

  # Every AWS name comes from infra/names.json, rendered from djaws' naming module.
  project = jsondecode(file("${path.module}/../../names.json"))
  names   = local.project.environments[var.environment]

  tags = {
    Project     = local.project.resource_prefix
    Environment = var.environment
    ManagedBy   = "terraform"
  }

  site_host = var.domain_name != "" ? var.domain_name : aws_lb.main.dns_name
  # https once the HTTPS listener exists (certificate.tf): read from the listener, so whatever takes
  # the scheme (the backend's SERVED_OVER_HTTPS, CSRF and CORS origins) waits for it.
  site_scheme = local.https_enabled ? lower(aws_lb_listener.https[0].protocol) : "http"
  site_url    = "${local.site_scheme}://${local.site_host}"
  # The ALB name answers too (health checks, smoke tests before DNS points at it).
  allowed_hosts = distinct(compact([var.domain_name, aws_lb.main.dns_name]))
  # Over HTTPS only the site's https:// origin; over HTTP the ALB's own name too.
  site_origins = distinct(compact([
    local.site_url,
    var.domain_name != "" && !local.https_enabled ? "http://${aws_lb.main.dns_name}" : "",
  ]))

  # Every process the project can run, said once: whether it runs (the options the project was
  # generated with), which image and command, and for the processes behind the load balancer their
  # port and health check. Target groups, security-group rules, container definitions, services,
  # log groups, alarms and the dashboard all iterate this map.
  processes = {
    web       = { enabled = true, image = "backend", command = ["python", "-m", "config.server"], port = 8000, health_check_path = "/api/health/" }
    websocket = { enabled = var.enable_websocket, image = "backend", command = ["python", "-m", "config.websocket"], port = 8001, health_check_path = "/api/health/" }
    frontend  = { enabled = var.enable_frontend, image = "frontend", command = ["node", "server.js"], port = 3000, health_check_path = "/" }
    worker    = { enabled = var.enable_celery, image = "backend", command = ["python", "-m", "config.worker"], port = null, health_check_path = null }
    beat      = { enabled = var.enable_celery, image = "backend", command = ["python", "-m", "config.beat"], port = null, health_check_path = null }
  }
  running       = { for name, process in local.processes : name => process if process.enabled }
  load_balanced = { for name, process in local.running : name => process if process.port != null }

  packed          = var.task_layout == "packed"
  redis_container = var.redis == "container"
  # Every container of the stack: the running processes, and Redis when it runs beside them.
  container_names = concat(keys(local.running), local.redis_container ? ["redis"] : [])
  # The ECS services and the containers each one's task runs: one service per process, or one
  # service ("app") whose single task runs them all (var.task_layout).
  ecs_services = { for name in(local.packed ? ["app"] : keys(local.running)) : name => local.packed ? local.container_names : [name] }
  # Task-definition families: one per service and, when packed, a web-only family (with Redis when it
  # is a container) for one-off tasks (migrations, `ops manage`). A one-off task of the packed family
  # would start a second beat, worker and Redis beside the migration.
  task_families = merge(local.ecs_services, { for name in(local.packed ? ["web"] : []) : name => concat(["web"], local.redis_container ? ["redis"] : []) })
  family_names  = merge({ for name in keys(local.processes) : name => local.names["ecs_service_${name}"] }, { app = local.names.ecs_service_app })
  log_groups    = { for name in local.container_names : name => "${local.names.log_group_prefix}/${name}" }

  task_subnet_ids = var.enable_nat_gateway ? module.network.private_subnet_ids : module.network.public_subnet_ids
}
