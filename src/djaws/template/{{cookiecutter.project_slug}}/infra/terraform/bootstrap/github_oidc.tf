# GitHub Actions reach AWS with short-lived credentials: a workflow job exchanges its OIDC token
# for one of two roles. Both trust only jobs of this repository that run in one of its GitHub
# environments (the token's `sub` is repo:OWNER/REPO:environment:ENV), so a branch, a fork or a
# pull request gets nothing, and prod's required reviewers gate every prod job.
#   deploy role (deploy_role.tf): ships releases, cannot change infrastructure.
#   infrastructure role (infra_role.tf): create-infra and destroy, i.e. terraform apply.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  github_enabled = var.github_owner != ""
  repository     = "${var.github_owner}/${var.github_repository}"
  account_id     = data.aws_caller_identity.current.account_id
  arn_prefix     = "arn:${data.aws_partition.current.partition}"
  environments   = values(local.project.environments)

  github_subjects   = [for environment in keys(local.project.environments) : "repo:${local.repository}:environment:${environment}"]
  oidc_provider_arn = local.github_enabled ? one(concat(aws_iam_openid_connect_provider.github[*].arn, data.aws_iam_openid_connect_provider.github[*].arn)) : ""

  # Who may assume either role: this repository's jobs in its GitHub environments, nothing else.
  github_trust_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { Federated = local.oidc_provider_arn }
        Action    = "sts:AssumeRoleWithWebIdentity"
        Condition = {
          StringEquals = {
            "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
            "token.actions.githubusercontent.com:sub" = local.github_subjects
          }
        }
      },
    ]
  })
}

resource "aws_iam_openid_connect_provider" "github" {
  count = local.github_enabled && var.create_github_oidc_provider ? 1 : 0

  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}

data "aws_iam_openid_connect_provider" "github" {
  count = local.github_enabled && !var.create_github_oidc_provider ? 1 : 0

  url = "https://token.actions.githubusercontent.com"
}
