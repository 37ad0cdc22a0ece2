output "state_bucket" {
  description = "Bucket holding every environment's Terraform state (envs/<env>.s3.tfbackend names it)."
  value       = aws_s3_bucket.state.id
}

output "deploy_role_arn" {
  description = "Role the deploy and rollback workflows assume (GitHub variable AWS_DEPLOY_ROLE_ARN); empty without github_owner."
  value       = local.github_enabled ? aws_iam_role.deploy[0].arn : ""
}

output "infra_role_arn" {
  description = "Role the create-infra and destroy workflows assume (GitHub variable AWS_INFRA_ROLE_ARN); empty without github_owner."
  value       = local.github_enabled ? aws_iam_role.infra[0].arn : ""
}

output "github_subjects" {
  description = "OIDC subjects (this repository's GitHub environments) allowed to assume either role."
  value       = local.github_enabled ? local.github_subjects : []
}
