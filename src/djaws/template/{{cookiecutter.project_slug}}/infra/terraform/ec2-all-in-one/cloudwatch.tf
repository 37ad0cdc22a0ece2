# Container logs go to CloudWatch through Docker's awslogs driver (one group per compose service),
# and host alarms go to one SNS topic. A failed system status check recovers the instance.

resource "aws_cloudwatch_log_group" "service" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; a customer key would add cost and a key policy.
  #checkov:skip=CKV_AWS_338:Retention is per environment (var.log_retention_days: 7 demo ... 90 prod).
  for_each = local.log_groups

  name              = each.value
  retention_in_days = var.log_retention_days
}

resource "aws_cloudwatch_log_group" "flow_logs" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; a customer key would add cost and a key policy.
  #checkov:skip=CKV_AWS_338:Retention is per environment (var.log_retention_days).
  count = var.enable_flow_logs ? 1 : 0

  name              = "${local.names.log_group_prefix}/vpc-flow-logs"
  retention_in_days = var.log_retention_days
}

resource "aws_sns_topic" "alarms" {
  #checkov:skip=CKV_AWS_26:CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key, and alarm texts hold no secrets.
  name = local.names.alarm_topic
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count = var.alarm_email != "" ? 1 : 0

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
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
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
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
  alarm_actions       = ["arn:${local.partition}:automate:${var.aws_region}:ec2:recover", aws_sns_topic.alarms.arn]
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
  alarm_actions       = ["arn:${local.partition}:automate:${var.aws_region}:ec2:reboot", aws_sns_topic.alarms.arn]
}
