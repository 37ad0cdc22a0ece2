# An AWS Budget at an environment's estimated monthly cost: notified when the month's actual spend
# passes 80 % and when the forecast passes 100 %. It counts costs tagged Environment=<environment>, so
# the Environment tag must be active as a cost allocation tag (once per account, in Billing). A
# notification needs a subscriber: the e-mail address when one is given, otherwise the alarm topic,
# which then lets AWS Budgets publish to it.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id      = data.aws_caller_identity.current.account_id
  partition       = data.aws_partition.current.partition
  budget_to_topic = var.email == ""
  budget_notifications = {
    actual_80_percent    = { type = "ACTUAL", threshold = 80 }
    forecast_100_percent = { type = "FORECASTED", threshold = 100 }
  }
}

resource "aws_budgets_budget" "this" {
  name         = var.name
  budget_type  = "COST"
  limit_amount = tostring(var.monthly_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  cost_filter {
    name   = "TagKeyValue"
    values = [format("user:Environment$%s", var.environment)]
  }

  dynamic "notification" {
    for_each = local.budget_notifications

    content {
      notification_type          = notification.value.type
      comparison_operator        = "GREATER_THAN"
      threshold                  = notification.value.threshold
      threshold_type             = "PERCENTAGE"
      subscriber_email_addresses = local.budget_to_topic ? [] : [var.email]
      subscriber_sns_topic_arns  = local.budget_to_topic ? [var.topic_arn] : []
    }
  }

  depends_on = [aws_sns_topic_policy.topic]
}

# Replaces the topic's default policy only while the budget publishes to it: the account keeps what the
# default policy gave it, CloudWatch alarms of this account publish, and so do this account's budgets.
resource "aws_sns_topic_policy" "topic" {
  count = local.budget_to_topic ? 1 : 0

  arn = var.topic_arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountManagesTheTopic"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action = [
          "SNS:GetTopicAttributes",
          "SNS:SetTopicAttributes",
          "SNS:AddPermission",
          "SNS:RemovePermission",
          "SNS:DeleteTopic",
          "SNS:Subscribe",
          "SNS:ListSubscriptionsByTopic",
          "SNS:Publish",
        ]
        Resource = var.topic_arn
      },
      {
        Sid       = "CloudWatchAlarmsPublish"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = "SNS:Publish"
        Resource  = var.topic_arn
        Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
      },
      {
        Sid       = "BudgetsPublish"
        Effect    = "Allow"
        Principal = { Service = "budgets.amazonaws.com" }
        Action    = "SNS:Publish"
        Resource  = var.topic_arn
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
          ArnLike      = { "aws:SourceArn" = "arn:${local.partition}:budgets::${local.account_id}:*" }
        }
      },
    ]
  })
}
