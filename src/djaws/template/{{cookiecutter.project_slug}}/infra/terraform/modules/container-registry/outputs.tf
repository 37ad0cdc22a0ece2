output "repository_urls" {
  description = "Repository URLs keyed by image."
  value       = { for key, repository in aws_ecr_repository.this : key => repository.repository_url }
}

output "repository_arns" {
  description = "Repository ARNs keyed by image."
  value       = { for key, repository in aws_ecr_repository.this : key => repository.arn }
}
