output "arn" {
  description = "ARN of the secret, for IAM policies and ECS task secrets."
  value       = aws_secretsmanager_secret.this.arn
}

output "name" {
  description = "Name of the secret."
  value       = aws_secretsmanager_secret.this.name
}

output "recovery_window_in_days" {
  description = "Days a deleted secret can be restored."
  value       = aws_secretsmanager_secret.this.recovery_window_in_days
}
