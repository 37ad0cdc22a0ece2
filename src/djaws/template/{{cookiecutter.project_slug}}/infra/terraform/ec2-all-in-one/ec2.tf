# One instance runs everything with docker compose (docker-compose.prod.yml): nginx, the app
# processes, PostgreSQL 16 and Redis 7. User data installs Docker and Compose, adds swap, schedules
# the nightly pg_dump to S3 and Docker clean-up, writes the project files and starts the app.

data "aws_ssm_parameter" "ami" {
  name = var.ami_ssm_parameter
}

locals {
  registry_host = split("/", module.container_registry.repository_urls["backend"])[0]

  # Settings the host's .env is built from (deploy/ec2/render-env.sh adds the two secrets).
  host_environment = {
    COMPOSE_PROJECT_NAME    = local.project.project_slug
    ENVIRONMENT             = var.environment
    AWS_REGION              = var.aws_region
    AWS_STORAGE_BUCKET_NAME = module.media_bucket.bucket
    ALLOWED_HOSTS           = join(",", local.allowed_hosts)
    # The HTTP values: render-env.sh replaces these three once tls.sh serves a certificate.
    CSRF_TRUSTED_ORIGINS         = join(",", local.http_origins)
    SITE_URL                     = local.http_site_url
    SERVED_OVER_HTTPS            = "false"
    DOMAIN_NAME                  = var.domain_name
    TLS_MODE                     = var.tls_mode
    ACME_EMAIL                   = var.acme_email
    ACME_DIRECTORY_URL           = var.acme_directory_url
    TLS_CERTIFICATE_SECRET_ARN   = try(aws_secretsmanager_secret.tls_certificate[0].arn, "")
    ECR_REGISTRY                 = local.registry_host
    BACKEND_IMAGE                = module.container_registry.repository_urls["backend"]
    FRONTEND_IMAGE               = lookup(module.container_registry.repository_urls, "frontend", "")
    IMAGE_TAG                    = var.initial_image_tag
    LOG_GROUP_PREFIX             = local.names.log_group_prefix
    POSTGRES_DB                  = local.project.database_name
    POSTGRES_USER                = "app"
    DJANGO_SECRET_KEY_ARN        = module.django_secret_key.arn
    POSTGRES_PASSWORD_SECRET_ARN = module.db_password.arn
    READINESS_TOKEN_SECRET_ARN   = module.readiness_token.arn
    BACKUP_S3_URI                = "s3://${module.media_bucket.bucket}/${local.backup_prefix}"
  }

  user_data = templatefile("${path.module}/user_data.sh.tftpl", {
    app_dir                = local.app_dir
    project_slug           = local.project.project_slug
    swap_size_mb           = var.swap_size_mb
    compose_version        = var.docker_compose_version
    backup_hour_utc        = var.backup_hour_utc
    housekeeping_with_cron = !var.enable_celery
    tls_mode               = var.tls_mode
    initial_tag            = var.initial_image_tag
    host_environment       = local.host_environment
    # The SSM parameter holding the CloudWatch agent's config (cloudwatch_agent.tf).
    cloudwatch_agent_parameter = aws_ssm_parameter.cloudwatch_agent.name
    bundle_uri                 = "s3://${module.media_bucket.bucket}/${local.bundle_prefix}"
    aws_region                 = var.aws_region
  })
}

resource "aws_instance" "host" {
  #checkov:skip=CKV_AWS_88:A web host needs a public address; the security group opens only 80 and 443.
  #checkov:skip=CKV_AWS_126:Detailed monitoring bills per metric; var.detailed_monitoring turns it on.
  ami                         = var.ami_id != "" ? var.ami_id : data.aws_ssm_parameter.ami.insecure_value
  instance_type               = var.instance_type
  subnet_id                   = module.network.public_subnet_ids[0]
  vpc_security_group_ids      = [aws_security_group.host.id]
  iam_instance_profile        = aws_iam_instance_profile.host.name
  associate_public_ip_address = true
  ebs_optimized               = true
  monitoring                  = var.detailed_monitoring
  disable_api_termination     = var.deletion_protection
  user_data                   = local.user_data

  metadata_options {
    http_tokens   = "required"
    http_endpoint = "enabled"
    # Containers reach the instance role through one more network hop (the Docker bridge).
    http_put_response_hop_limit = 2
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = var.root_volume_gb
    encrypted             = true
    delete_on_termination = true
  }

  tags = { Name = local.names.ec2_instance }

  # First boot copies the project files from the bucket.
  depends_on = [aws_s3_object.host_file]

  # A new AMI or an edited bootstrap script must not replace the host (and its database): user
  # data runs on first boot only; deploy/ec2/deploy.sh updates a running host.
  lifecycle {
    ignore_changes = [ami, user_data]
  }
}

resource "aws_eip" "host" {
  domain = "vpc"

  tags = { Name = local.names.ec2_instance }
}

resource "aws_eip_association" "host" {
  instance_id   = aws_instance.host.id
  allocation_id = aws_eip.host.id
}
