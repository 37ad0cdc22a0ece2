locals {
  # Every AWS name comes from infra/names.json, rendered from djaws' naming module.
  project = jsondecode(file("${path.module}/../../names.json"))
  names   = local.project.environments[var.environment]

  tags = {
    Project     = local.project.resource_prefix
    Environment = var.environment
    ManagedBy   = "terraform"
  }

  site_host = var.domain_name != "" ? var.domain_name : aws_eip.host.public_ip
  site_url  = "http://${local.site_host}"
  # The bare address answers too, so the host can be checked before DNS points at it.
  allowed_hosts = distinct(compact([var.domain_name, aws_eip.host.public_ip, aws_eip.host.public_dns]))
  site_origins  = distinct(compact([local.site_url, "http://${aws_eip.host.public_ip}"]))

  # Which compose services run, from the options the project was generated with.
  services = {
    web       = true
    websocket = var.enable_websocket
    frontend  = var.enable_frontend
    worker    = var.enable_celery
    beat      = var.enable_celery
    nginx     = true
    postgres  = true
    redis     = true
  }
  log_groups = { for service, enabled in local.services : service => "${local.names.log_group_prefix}/${service}" if enabled }

  # Where the project lives on the host, and the project files user data writes there.
  app_dir      = "/opt/${local.project.project_slug}"
  project_root = "${path.module}/../../.."
  host_files = {
    "docker-compose.prod.yml"  = "${local.project_root}/docker-compose.prod.yml"
    "deploy/ec2/nginx.conf"    = "${local.project_root}/deploy/ec2/nginx.conf"
    "deploy/ec2/deploy.sh"     = "${local.project_root}/deploy/ec2/deploy.sh"
    "deploy/ec2/manage.sh"     = "${local.project_root}/deploy/ec2/manage.sh"
    "deploy/ec2/status.sh"     = "${local.project_root}/deploy/ec2/status.sh"
    "deploy/ec2/render-env.sh" = "${local.project_root}/deploy/ec2/render-env.sh"
    "deploy/ec2/backup-db.sh"  = "${local.project_root}/deploy/ec2/backup-db.sh"
    "deploy/ec2/cleanup.sh"    = "${local.project_root}/deploy/ec2/cleanup.sh"
  }
}
