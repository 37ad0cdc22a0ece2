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
  # Plain HTTP until deploy/ec2/tls.sh serves a certificate; render-env.sh then switches the app's
  # settings to https://domain_name. site_url is where the site is meant to be reached.
  http_site_url = "http://${local.site_host}"
  site_url      = var.tls_mode != "off" ? "https://${var.domain_name}" : local.http_site_url
  # The bare address answers too, so the host can be checked before DNS points at it.
  allowed_hosts = distinct(compact([var.domain_name, aws_eip.host.public_ip, aws_eip.host.public_dns]))
  http_origins  = distinct([local.http_site_url, "http://${aws_eip.host.public_ip}"])
  # Browser origins of uploads to the media bucket: the https one, and the http ones the site
  # answers on before its certificate is served.
  site_origins = distinct(concat(var.tls_mode != "off" ? ["https://${var.domain_name}"] : [], local.http_origins))

  # Behind Cloudflare only its edge ranges reach the host; the list nginx trusts is the one list.
  cloudflare_ipv4_ranges = flatten(regexall("set_real_ip_from ([0-9./]+);", file("${local.project_root}/deploy/ec2/cloudflare.conf")))
  web_ingress_cidrs      = var.tls_mode == "cloudflare" ? local.cloudflare_ipv4_ranges : var.http_ingress_cidrs

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

  # Where in the media bucket the host's database dumps go (deploy/ec2/backup-db.sh); the bucket's
  # lifecycle rule expires them after backup_expiry_days.
  backup_prefix = "backups/postgres/"

  # Where the project lives on the host, and the project files it runs from (host_files.tf), kept in
  # the media bucket under bundle_prefix.
  bundle_prefix = "deploy-bundle/"
  app_dir       = "/opt/${local.project.project_slug}"
  project_root  = "${path.module}/../../.."
  host_files = {
    "docker-compose.prod.yml"     = "${local.project_root}/docker-compose.prod.yml"
    "deploy/ec2/nginx.conf"       = "${local.project_root}/deploy/ec2/nginx.conf"
    "deploy/ec2/nginx-site.conf"  = "${local.project_root}/deploy/ec2/nginx-site.conf"
    "deploy/ec2/nginx-https.conf" = "${local.project_root}/deploy/ec2/nginx-https.conf"
    "deploy/ec2/cloudflare.conf"  = "${local.project_root}/deploy/ec2/cloudflare.conf"
    "deploy/ec2/tls.sh"           = "${local.project_root}/deploy/ec2/tls.sh"
    "deploy/ec2/deploy.sh"        = "${local.project_root}/deploy/ec2/deploy.sh"
    "deploy/ec2/manage.sh"        = "${local.project_root}/deploy/ec2/manage.sh"
    "deploy/ec2/status.sh"        = "${local.project_root}/deploy/ec2/status.sh"
    "deploy/ec2/render-env.sh"    = "${local.project_root}/deploy/ec2/render-env.sh"
    "deploy/ec2/backup-db.sh"     = "${local.project_root}/deploy/ec2/backup-db.sh"
    "deploy/ec2/restore-db.sh"    = "${local.project_root}/deploy/ec2/restore-db.sh"
    "deploy/ec2/cleanup.sh"       = "${local.project_root}/deploy/ec2/cleanup.sh"
  }
}
