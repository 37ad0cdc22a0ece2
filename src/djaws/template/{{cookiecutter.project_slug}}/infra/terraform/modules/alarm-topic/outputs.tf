output "arn" {
  description = "ARN of the topic, for alarm_actions, ok_actions and budget notifications."
  value       = aws_sns_topic.alarms.arn
}

output "email_subscriptions" {
  description = "Addresses subscribed to the topic."
  value       = aws_sns_topic_subscription.email[*].endpoint
}
