# Log groups per service with retention per environment, and alarms to one SNS topic. Every alarm
# notifies on the way in and out (alarm_actions and ok_actions). Load-balancer counts are missing
# when nothing happened, so a missing point is not breaching there; RDS always reports, so a gap
# there is left missing (the alarm keeps its state) rather than read as healthy.

resource "aws_cloudwatch_log_group" "service" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; a customer key would add cost and a key policy.
  #checkov:skip=CKV_AWS_338:Retention is per environment (var.log_retention_days: 7 demo ... 90 prod); a year is more than these logs are worth.
  for_each = local.log_groups

  name              = each.value
  retention_in_days = var.log_retention_days
}

# RDS creates these when it exports logs; creating them first sets their retention.
resource "aws_cloudwatch_log_group" "rds" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; a customer key would add cost and a key policy.
  #checkov:skip=CKV_AWS_338:Retention is per environment (var.log_retention_days).
  for_each = toset(["postgresql", "upgrade"])

  name              = "/aws/rds/instance/${local.names.rds_instance}/${each.key}"
  retention_in_days = var.log_retention_days
}

module "alarm_topic" {
  source = "../modules/alarm-topic"

  name  = local.names.alarm_topic
  email = var.alarm_email
}

locals {
  target_group_arn_suffixes = { for name, group in aws_lb_target_group.process : name => group.arn_suffix }
  alarm_actions             = [module.alarm_topic.arn]
}

resource "aws_cloudwatch_metric_alarm" "alb_5xx" {
  alarm_name          = "${local.names.alb}-5xx"
  alarm_description   = "The load balancer answered 5xx (no healthy target, timeouts)"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_ELB_5XX_Count"
  dimensions          = { LoadBalancer = aws_lb.main.arn_suffix }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.alarm_5xx_per_5_minutes
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "target_5xx" {
  alarm_name          = "${local.names.alb}-target-5xx"
  alarm_description   = "The app answered 5xx"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_Target_5XX_Count"
  dimensions          = { LoadBalancer = aws_lb.main.arn_suffix }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.alarm_5xx_per_5_minutes
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "unhealthy_hosts" {
  for_each = local.load_balanced

  alarm_name          = "${local.family_names[each.key]}-unhealthy-hosts"
  alarm_description   = "A ${each.key} task fails its load-balancer health check"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  dimensions          = { LoadBalancer = aws_lb.main.arn_suffix, TargetGroup = local.target_group_arn_suffixes[each.key] }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "service_cpu" {
  for_each = local.ecs_services

  alarm_name          = "${local.family_names[each.key]}-cpu"
  alarm_description   = "${each.key} CPU above ${var.alarm_cpu_percent}%"
  namespace           = "AWS/ECS"
  metric_name         = "CPUUtilization"
  dimensions          = { ClusterName = aws_ecs_cluster.main.name, ServiceName = aws_ecs_service.service[each.key].name }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_cpu_percent
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "service_memory" {
  for_each = local.ecs_services

  alarm_name          = "${local.family_names[each.key]}-memory"
  alarm_description   = "${each.key} memory above ${var.alarm_memory_percent}%"
  namespace           = "AWS/ECS"
  metric_name         = "MemoryUtilization"
  dimensions          = { ClusterName = aws_ecs_cluster.main.name, ServiceName = aws_ecs_service.service[each.key].name }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_memory_percent
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "db_cpu" {
  alarm_name          = "${local.names.rds_instance}-cpu"
  alarm_description   = "Database CPU above ${var.alarm_cpu_percent}%"
  namespace           = "AWS/RDS"
  metric_name         = "CPUUtilization"
  dimensions          = { DBInstanceIdentifier = aws_db_instance.main.identifier }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_cpu_percent
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "db_free_storage" {
  alarm_name          = "${local.names.rds_instance}-free-storage"
  alarm_description   = "Database free storage below ${var.alarm_db_free_storage_gb} GiB"
  namespace           = "AWS/RDS"
  metric_name         = "FreeStorageSpace"
  dimensions          = { DBInstanceIdentifier = aws_db_instance.main.identifier }
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = var.alarm_db_free_storage_gb * 1024 * 1024 * 1024
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "latency_p95" {
  alarm_name          = "${local.names.alb}-latency-p95"
  alarm_description   = "The slowest 5 % of requests took more than ${var.alarm_p95_latency_seconds} s (the app's response time at the ALB)"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  dimensions          = { LoadBalancer = aws_lb.main.arn_suffix }
  extended_statistic  = "p95"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_p95_latency_seconds
  # No requests, no response times: quiet is not slow.
  treat_missing_data = "notBreaching"
  alarm_actions      = local.alarm_actions
  ok_actions         = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "db_connections" {
  alarm_name          = "${local.names.rds_instance}-connections"
  alarm_description   = "More than ${var.alarm_db_connections} database connections (new ones are refused at max_connections)"
  namespace           = "AWS/RDS"
  metric_name         = "DatabaseConnections"
  dimensions          = { DBInstanceIdentifier = aws_db_instance.main.identifier }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_db_connections
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}
