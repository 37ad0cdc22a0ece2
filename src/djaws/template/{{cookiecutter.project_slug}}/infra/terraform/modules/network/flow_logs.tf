# Rejected traffic of the whole VPC, to CloudWatch Logs, when flow_logs.enabled.

resource "aws_cloudwatch_log_group" "flow_logs" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; a customer key would add cost and a key policy.
  #checkov:skip=CKV_AWS_338:Retention is per environment (the root's log_retention_days).
  count = var.flow_logs.enabled ? 1 : 0

  name              = var.flow_logs.log_group_name
  retention_in_days = var.flow_logs.retention_days
}

resource "aws_iam_role" "flow_logs" {
  count = var.flow_logs.enabled ? 1 : 0

  name        = var.flow_logs.role_name
  description = "VPC flow logs of ${var.name} write to CloudWatch Logs"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { Service = "vpc-flow-logs.amazonaws.com" }
        Action    = "sts:AssumeRole"
        Condition = { StringEquals = { "aws:SourceAccount" = var.account_id } }
      },
    ]
  })
}

resource "aws_iam_role_policy" "flow_logs" {
  count = var.flow_logs.enabled ? 1 : 0

  name = "write-flow-logs"
  role = aws_iam_role.flow_logs[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
        Resource = "${aws_cloudwatch_log_group.flow_logs[0].arn}:*"
      },
    ]
  })
}

resource "aws_flow_log" "vpc" {
  count = var.flow_logs.enabled ? 1 : 0

  vpc_id                   = aws_vpc.main.id
  traffic_type             = "REJECT"
  log_destination_type     = "cloud-watch-logs"
  log_destination          = aws_cloudwatch_log_group.flow_logs[0].arn
  iam_role_arn             = aws_iam_role.flow_logs[0].arn
  max_aggregation_interval = 600
}
