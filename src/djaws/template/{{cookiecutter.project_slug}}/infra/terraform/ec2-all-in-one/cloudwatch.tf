# Container logs go to CloudWatch through Docker's awslogs driver (one group per compose service),
# and host alarms go to one SNS topic. A failed system status check recovers the instance. Memory and
# disk come from the CloudWatch agent (cloudwatch_agent.tf); requests, 5xx and response times from
# metric filters on the web process's request lines (the host has no load balancer to count them).
# Every alarm notifies on the way in and out (alarm_actions and ok_actions).

resource "aws_cloudwatch_log_group" "service" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; a customer key would add cost and a key policy.
  #checkov:skip=CKV_AWS_338:Retention is per environment (var.log_retention_days: 7 demo ... 90 prod).
  for_each = local.log_groups

  name              = each.value
  retention_in_days = var.log_retention_days
}

module "alarm_topic" {
  source = "../modules/alarm-topic"

  name  = local.names.alarm_topic
  email = var.alarm_email
}

resource "aws_cloudwatch_metric_alarm" "host_cpu" {
  alarm_name          = "${local.names.ec2_instance}-cpu"
  alarm_description   = "Host CPU above ${var.alarm_cpu_percent}% (a t3 host may be out of CPU credits)"
  namespace           = "AWS/EC2"
  metric_name         = "CPUUtilization"
  dimensions          = { InstanceId = aws_instance.host.id }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_cpu_percent
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "host_system_check" {
  alarm_name          = "${local.names.ec2_instance}-system-check"
  alarm_description   = "AWS hardware or network under the host failed; the instance is recovered onto new hardware"
  namespace           = "AWS/EC2"
  metric_name         = "StatusCheckFailed_System"
  dimensions          = { InstanceId = aws_instance.host.id }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "missing"
  alarm_actions       = ["arn:${local.partition}:automate:${var.aws_region}:ec2:recover", module.alarm_topic.arn]
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "host_instance_check" {
  alarm_name          = "${local.names.ec2_instance}-instance-check"
  alarm_description   = "The host itself stopped answering (out of memory, full disk, kernel)"
  namespace           = "AWS/EC2"
  metric_name         = "StatusCheckFailed_Instance"
  dimensions          = { InstanceId = aws_instance.host.id }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "missing"
  alarm_actions       = ["arn:${local.partition}:automate:${var.aws_region}:ec2:reboot", module.alarm_topic.arn]
  ok_actions          = local.alarm_actions
}

locals {
  alarm_actions    = [module.alarm_topic.arn]
  metric_namespace = local.names.metric_namespace
  host_dimensions  = { InstanceId = aws_instance.host.id }
  # Request lines of the web process (backend/apps/core/middleware.py): logger app.request, status, duration_ms.
  request_lines = "{ $.logger = \"app.request\" }"
}

resource "aws_cloudwatch_log_metric_filter" "requests" {
  name           = "requests"
  log_group_name = aws_cloudwatch_log_group.service["web"].name
  pattern        = local.request_lines

  metric_transformation {
    name      = "requests"
    namespace = local.metric_namespace
    value     = "1"
    unit      = "Count"
  }
}

resource "aws_cloudwatch_log_metric_filter" "responses_5xx" {
  name           = "responses-5xx"
  log_group_name = aws_cloudwatch_log_group.service["web"].name
  pattern        = "{ $.logger = \"app.request\" && $.status >= 500 }"

  metric_transformation {
    name      = "responses_5xx"
    namespace = local.metric_namespace
    value     = "1"
    unit      = "Count"
  }
}

resource "aws_cloudwatch_log_metric_filter" "request_duration" {
  name           = "request-duration"
  log_group_name = aws_cloudwatch_log_group.service["web"].name
  pattern        = local.request_lines

  metric_transformation {
    name      = "request_duration_ms"
    namespace = local.metric_namespace
    value     = "$.duration_ms"
    unit      = "Milliseconds"
  }
}

resource "aws_cloudwatch_metric_alarm" "web_5xx" {
  alarm_name          = "${local.names.ec2_instance}-5xx"
  alarm_description   = "The app answered 5xx ${var.alarm_5xx_per_5_minutes} times or more in five minutes"
  namespace           = local.metric_namespace
  metric_name         = aws_cloudwatch_log_metric_filter.responses_5xx.metric_transformation[0].name
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.alarm_5xx_per_5_minutes
  # The filter reports only when a 5xx line arrives: no data means no 5xx.
  treat_missing_data = "notBreaching"
  alarm_actions      = local.alarm_actions
  ok_actions         = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "latency_p95" {
  alarm_name          = "${local.names.ec2_instance}-latency-p95"
  alarm_description   = "The slowest 5 % of requests took more than ${var.alarm_p95_latency_seconds} s in the web process"
  namespace           = local.metric_namespace
  metric_name         = aws_cloudwatch_log_metric_filter.request_duration.metric_transformation[0].name
  extended_statistic  = "p95"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_p95_latency_seconds * 1000
  # No requests, no durations: quiet is not slow.
  treat_missing_data = "notBreaching"
  alarm_actions      = local.alarm_actions
  ok_actions         = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "host_memory" {
  alarm_name          = "${local.names.ec2_instance}-memory"
  alarm_description   = "Host memory in use above ${var.alarm_memory_percent}% (containers get killed, swap slows everything)"
  namespace           = local.metric_namespace
  metric_name         = "mem_used_percent"
  dimensions          = local.host_dimensions
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_memory_percent
  # The agent reports every minute while the host runs; a gap (host down, agent stopped) keeps the
  # alarm's state and the status-check alarms speak for the host.
  treat_missing_data = "missing"
  alarm_actions      = local.alarm_actions
  ok_actions         = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "host_disk" {
  alarm_name          = "${local.names.ec2_instance}-disk"
  alarm_description   = "Disk / above ${var.alarm_disk_percent}% full (images, logs and the database share it)"
  namespace           = local.metric_namespace
  metric_name         = "disk_used_percent"
  dimensions          = merge(local.host_dimensions, { path = "/" })
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_disk_percent
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}
