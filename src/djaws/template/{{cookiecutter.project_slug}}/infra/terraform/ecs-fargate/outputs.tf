# Everything the ops CLI (ops/, `make deploy` and CI call it) reads, so no name or address is
# hard-coded anywhere else: terraform output -json (`make infra-output`, `ops outputs`).

output "environment" {
  description = "Environment this state describes."
  value       = var.environment
}

output "aws_region" {
  description = "Region of every resource."
  value       = var.aws_region
}

output "site_url" {
  description = "URL the site answers on: https once the HTTPS listener serves an issued certificate."
  value       = local.site_url
}

output "certificate_validation_records" {
  description = "CNAME records ACM checks before it issues the stack's certificate, by domain. Without hosted_zone_id, add them to the domain's DNS, then apply with certificate_records_published = true."
  value       = local.certificate_validation_records
}

output "certificate_status" {
  description = "Where HTTPS stands: off (no domain), awaiting-dns-records (publish certificate_validation_records), or serving."
  value       = length(aws_lb_listener.https) > 0 ? "serving" : (length(aws_acm_certificate.site) > 0 ? "awaiting-dns-records" : "off")
}

output "alb_dns_name" {
  description = "DNS name of the load balancer (point the domain's CNAME or alias here)."
  value       = aws_lb.main.dns_name
}

output "alb_zone_id" {
  description = "Hosted zone of the load balancer, for a Route 53 alias record."
  value       = aws_lb.main.zone_id
}

output "ecr_repository_urls" {
  description = "ECR repository URLs by image (backend, frontend)."
  value       = module.container_registry.repository_urls
}

output "ecs_cluster_name" {
  description = "ECS cluster name."
  value       = aws_ecs_cluster.main.name
}

output "task_layout" {
  description = "per-process (one ECS service per process) or packed (one service running every process)."
  value       = var.task_layout
}

output "ecs_service_names" {
  description = "ECS service names by key: each process (per-process layout), or app (packed layout)."
  value       = { for key, ecs_service in aws_ecs_service.service : key => ecs_service.name }
}

output "service_containers" {
  description = "The containers each service's task runs, by the keys of ecs_service_names (ops exec finds a process's service here)."
  value       = local.ecs_services
}

output "ecs_task_definition_families" {
  description = "Task definition families by key: one per service, and web (one-off tasks) in the packed layout; `ops deploy` registers revisions of these based on each family's latest."
  value       = { for key, definition in aws_ecs_task_definition.service : key => definition.family }
}

output "service_desired_counts" {
  description = "Configured task count per service; services start with zero and the first `ops deploy` raises them to these. A service running beat runs one task."
  value       = { for key, containers in local.ecs_services : key => contains(containers, "beat") || local.packed ? 1 : var.service_sizes[key].desired_count }
}

output "autoscaling_resource_ids" {
  description = "Application Auto Scaling resource IDs by process (stg/prod); their scaling stays suspended until a deploy is verified."
  value       = { for service, target in aws_appautoscaling_target.service : service => target.resource_id }
}

locals {
  # How a one-off task of the web revision runs a management command (ops migrate / ops manage).
  manage_command = ["python", "manage.py"]
}

output "migration_task" {
  description = "How `ops migrate`/`ops manage` run one-off tasks: the web family (the web service's, or the web-only family of the packed layout) with a command override, on these subnets and security group, on demand (FARGATE)."
  value = {
    task_definition_family = aws_ecs_task_definition.service["web"].family
    container_name         = "web"
    manage_command         = local.manage_command
    command                = concat(local.manage_command, ["migrate", "--noinput"])
    subnet_ids             = local.task_subnet_ids
    security_group_ids     = [aws_security_group.app.id]
    assign_public_ip       = !var.enable_nat_gateway
  }
}

output "management_schedules" {
  description = "EventBridge Scheduler schedules that run the periodic management commands without Celery: their group and names (none with Celery). `ops deploy` and `ops rollback` point them at the release's web revision."
  value = {
    group = local.schedules_enabled ? aws_scheduler_schedule_group.management[0].name : ""
    names = sort(keys(aws_scheduler_schedule.management))
  }
}

output "media_bucket" {
  description = "Name of the media bucket."
  value       = module.media_bucket.bucket
}

output "log_groups" {
  description = "CloudWatch log groups by process."
  value       = { for service, group in aws_cloudwatch_log_group.service : service => group.name }
}

output "database_endpoint" {
  description = "Database host name (private)."
  value       = aws_db_instance.main.address
}

output "database_secret_arn" {
  description = "Secrets Manager ARN of the RDS-managed master credentials (JSON with username and password)."
  value       = aws_db_instance.main.master_user_secret[0].secret_arn
}

output "django_secret_key_arn" {
  description = "Secrets Manager ARN of the Django SECRET_KEY."
  value       = module.django_secret_key.arn
}

output "readiness_token_secret_arn" {
  description = "Secrets Manager ARN of the readiness token (X-Readiness-Token shows why a readiness check fails)."
  value       = module.readiness_token.arn
}

output "redis_endpoint" {
  description = "Redis primary endpoint (TLS, port 6379); localhost when Redis is a container of the packed task."
  value       = local.redis_container ? "localhost" : aws_elasticache_replication_group.main[0].primary_endpoint_address
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms publish to."
  value       = module.alarm_topic.arn
}

output "execution_role_arn" {
  description = "Task execution role (pulls images, reads the secrets)."
  value       = aws_iam_role.execution.arn
}

output "task_role_arn" {
  description = "Task role of the app."
  value       = aws_iam_role.task.arn
}

output "app_settings" {
  description = "Environment variables (no secrets) the backend tasks get."
  value       = local.backend_environment
}

output "dashboard_url" {
  description = "CloudWatch dashboard of this environment: traffic, 5xx, latency, services, database, Redis, alarms, errors."
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
