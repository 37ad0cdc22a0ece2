output "state_bucket" {
  description = "Bucket holding every environment's Terraform state (envs/<env>.s3.tfbackend names it)."
  value       = aws_s3_bucket.state.id
}

output "deploy_role_arn" {
  description = "Role GitHub Actions assumes (aws-actions/configure-aws-credentials role-to-assume); empty without github_owner."
  value       = local.github_enabled ? aws_iam_role.deploy[0].arn : ""
}

output "github_subjects" {
  description = "OIDC subjects (repository, environments, branches) allowed to assume the deploy role."
  value       = local.github_enabled ? local.github_subjects : []
}
