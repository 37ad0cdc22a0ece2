output "name" {
  description = "Budget name."
  value       = aws_budgets_budget.this.name
}

output "subscribers" {
  description = "Where the notifications go: the e-mail address, or the topic ARN."
  value       = local.budget_to_topic ? [var.topic_arn] : [var.email]
}

output "limit" {
  description = "The monthly limit as AWS Budgets holds it (amount, unit, time unit) and the costs it counts."
  value = {
    amount      = aws_budgets_budget.this.limit_amount
    unit        = aws_budgets_budget.this.limit_unit
    time_unit   = aws_budgets_budget.this.time_unit
    cost_filter = { for filter in aws_budgets_budget.this.cost_filter : filter.name => filter.values }
  }
}

output "notifications" {
  description = "The budget's notifications: type, threshold (percent) and subscribers."
  value = [
    for notification in aws_budgets_budget.this.notification : {
      type      = notification.notification_type
      threshold = notification.threshold
      emails    = notification.subscriber_email_addresses
      topics    = notification.subscriber_sns_topic_arns
    }
  ]
}

output "topic_policy" {
  description = "The policy the module puts on the topic (AWS Budgets may publish), or null when it leaves the topic's default."
  value       = one(aws_sns_topic_policy.topic[*].policy)
}
