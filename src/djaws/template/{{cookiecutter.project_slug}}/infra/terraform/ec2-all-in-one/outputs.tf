# Everything CI and the ops CLI need, so no name or address is hard-coded anywhere else:
#   terraform output -json

output "environment" {
  description = "Environment this state describes."
  value       = var.environment
}

output "aws_region" {
  description = "Region of every resource."
  value       = var.aws_region
}

output "site_url" {
  description = "URL the site is reached on: https://domain_name with tls_mode letsencrypt or cloudflare (served once the host has its certificate), else http://."
  value       = local.site_url
}

output "tls_certificate_secret_name" {
  description = "tls_mode = cloudflare: the secret to store the origin certificate and key in (one PEM text); empty otherwise."
  value       = try(aws_secretsmanager_secret.tls_certificate[0].name, "")
}

output "public_ip" {
  description = "Elastic IP of the host (point the domain's A record here)."
  value       = aws_eip.host.public_ip
}

output "instance_id" {
  description = "Instance ID (aws ssm start-session --target ..., aws ssm send-command for deploys)."
  value       = aws_instance.host.id
}

output "app_dir" {
  description = "Directory of the project on the host; deploys run app_dir/deploy/ec2/deploy.sh TAG."
  value       = local.app_dir
}

output "ecr_repository_urls" {
  description = "ECR repository URLs by image (backend, frontend)."
  value       = module.container_registry.repository_urls
}

output "media_bucket" {
  description = "Name of the media bucket (nightly database backups go under backups/postgres/)."
  value       = module.media_bucket.bucket
}

output "database_backups" {
  description = "Where deploy/ec2/backup-db.sh puts the database dumps (`ops backups` lists them) and how many days the bucket keeps them."
  value = {
    bucket      = module.media_bucket.bucket
    prefix      = local.backup_prefix
    expiry_days = var.backup_expiry_days
  }
}

output "log_groups" {
  description = "CloudWatch log groups by compose service."
  value       = { for service, group in aws_cloudwatch_log_group.service : service => group.name }
}

output "django_secret_key_arn" {
  description = "Secrets Manager ARN of the Django SECRET_KEY."
  value       = module.django_secret_key.arn
}

output "readiness_token_secret_arn" {
  description = "Secrets Manager ARN of the readiness token (X-Readiness-Token shows why a readiness check fails)."
  value       = module.readiness_token.arn
}

output "database_secret_arn" {
  description = "Secrets Manager ARN of the database container's password."
  value       = module.db_password.arn
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms publish to."
  value       = module.alarm_topic.arn
}

output "instance_role_arn" {
  description = "Role of the host."
  value       = aws_iam_role.instance.arn
}

output "dashboard_url" {
  description = "CloudWatch dashboard of this environment: requests, 5xx, latency, CPU, memory, disk, alarms, errors."
  value       = "https://${var.aws_region}.console.aws.amazon.com/cloudwatch/home?region=${var.aws_region}#dashboards/dashboard/${aws_cloudwatch_dashboard.main.dashboard_name}"
}

output "log_query_names" {
  description = "Saved Logs Insights queries (CloudWatch > Logs Insights > Saved queries) by query."
  value       = module.log_queries.names
}

output "budget_name" {
  description = "AWS Budget at this environment's estimated monthly cost (monthly_budget_usd)."
  value       = module.cost_budget.name
}
