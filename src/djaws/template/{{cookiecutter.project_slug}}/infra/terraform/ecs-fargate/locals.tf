locals {
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

  # Which processes run, from the options the project was generated with.
  services = {
    web       = true
    websocket = var.enable_websocket
    frontend  = var.enable_frontend
    worker    = var.enable_celery
    beat      = var.enable_celery
  }
  enabled_services = toset([for service, enabled in local.services : service if enabled])
  service_names = {
    web       = local.names.ecs_service_web
    websocket = local.names.ecs_service_websocket
    frontend  = local.names.ecs_service_frontend
    worker    = local.names.ecs_service_worker
    beat      = local.names.ecs_service_beat
  }
  log_groups = { for service in local.enabled_services : service => "${local.names.log_group_prefix}/${service}" }

  task_subnet_ids = var.enable_nat_gateway ? aws_subnet.private[*].id : aws_subnet.public[*].id
}
