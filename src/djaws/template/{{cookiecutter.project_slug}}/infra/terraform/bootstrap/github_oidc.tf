# GitHub Actions deploys with short-lived credentials: the workflow exchanges its OIDC token for
# the deploy role. Only this repository's environment jobs and listed branches can assume it, and
# the role can do what a deploy does (push images, roll ECS services or run the host's deploy
# script, run migrations, read state outputs and logs) for this project's resources only.
# Infrastructure changes stay with an administrator (make infra-apply).

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  github_enabled = var.github_owner != ""
  repository     = "${var.github_owner}/${var.github_repository}"
  account_id     = data.aws_caller_identity.current.account_id
  partition      = data.aws_partition.current.partition
  arn_prefix     = "arn:${local.partition}"
  environments   = values(local.project.environments)

  github_subjects = concat(
    [for environment in var.github_environments : "repo:${local.repository}:environment:${environment}"],
    [for branch in var.github_branches : "repo:${local.repository}:ref:refs/heads/${branch}"],
  )
  oidc_provider_arn = local.github_enabled ? (
    var.create_github_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : data.aws_iam_openid_connect_provider.github[0].arn
  ) : ""

  ecr_repository_arns = flatten([
    for names in local.environments : [
      "${local.arn_prefix}:ecr:${var.aws_region}:${local.account_id}:repository/${names.ecr_backend}",
      "${local.arn_prefix}:ecr:${var.aws_region}:${local.account_id}:repository/${names.ecr_frontend}",
    ]
  ])
  ecs_service_arns = flatten([
    for names in local.environments : [
      for service in ["web", "websocket", "frontend", "worker", "beat"] :
      "${local.arn_prefix}:ecs:${var.aws_region}:${local.account_id}:service/${names.ecs_cluster}/${names["ecs_service_${service}"]}"
    ]
  ])
  ecs_task_definition_arns = flatten([
    for names in local.environments : [
      for service in ["web", "websocket", "frontend", "worker", "beat"] :
      "${local.arn_prefix}:ecs:${var.aws_region}:${local.account_id}:task-definition/${names["ecs_service_${service}"]}:*"
    ]
  ])
  ecs_cluster_arns = [for names in local.environments : "${local.arn_prefix}:ecs:${var.aws_region}:${local.account_id}:cluster/${names.ecs_cluster}"]
  passable_role_arns = flatten([
    for names in local.environments : [
      "${local.arn_prefix}:iam::${local.account_id}:role/${names.iam_execution_role}",
      "${local.arn_prefix}:iam::${local.account_id}:role/${names.iam_task_role}",
    ]
  ])
  log_group_arns    = [for names in local.environments : "${local.arn_prefix}:logs:${var.aws_region}:${local.account_id}:log-group:${names.log_group_prefix}/*"]
  media_bucket_arns = [for names in local.environments : "${local.arn_prefix}:s3:::${names.media_bucket}"]
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

resource "aws_iam_role" "deploy" {
  count = local.github_enabled ? 1 : 0

  name                 = local.project.shared.iam_deploy_role
  description          = "GitHub Actions of ${local.repository} deploy ${local.project.resource_prefix}"
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { Federated = local.oidc_provider_arn }
        Action    = "sts:AssumeRoleWithWebIdentity"
        Condition = {
          StringEquals = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }
          StringLike   = { "token.actions.githubusercontent.com:sub" = local.github_subjects }
        }
      },
    ]
  })
}

resource "aws_iam_role_policy" "deploy" {
  #checkov:skip=CKV_AWS_290:The few actions on "*" (ECR login, RegisterTaskDefinition, Describe*, GetCommandInvocation) take no resource ARN.
  #checkov:skip=CKV_AWS_355:The few actions on "*" (ECR login, RegisterTaskDefinition, Describe*, GetCommandInvocation) take no resource ARN.
  count = local.github_enabled ? 1 : 0

  name = "deploy"
  role = aws_iam_role.deploy[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "EcrLogin"
        Effect   = "Allow"
        Action   = "ecr:GetAuthorizationToken"
        Resource = "*"
      },
      {
        Sid    = "PushAndPullImages"
        Effect = "Allow"
        Action = [
          "ecr:BatchCheckLayerAvailability",
          "ecr:BatchGetImage",
          "ecr:CompleteLayerUpload",
          "ecr:DescribeImages",
          "ecr:DescribeRepositories",
          "ecr:GetDownloadUrlForLayer",
          "ecr:InitiateLayerUpload",
          "ecr:PutImage",
          "ecr:UploadLayerPart",
        ]
        Resource = local.ecr_repository_arns
      },
      {
        Sid      = "RegisterTaskDefinitions"
        Effect   = "Allow"
        Action   = ["ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition", "ecs:DescribeTasks", "ecs:ListTasks"]
        Resource = "*"
      },
      {
        Sid      = "RollServices"
        Effect   = "Allow"
        Action   = ["ecs:DescribeServices", "ecs:UpdateService"]
        Resource = local.ecs_service_arns
      },
      {
        Sid       = "RunMigrations"
        Effect    = "Allow"
        Action    = "ecs:RunTask"
        Resource  = local.ecs_task_definition_arns
        Condition = { ArnEquals = { "ecs:cluster" = local.ecs_cluster_arns } }
      },
      {
        Sid       = "PassTaskRoles"
        Effect    = "Allow"
        Action    = "iam:PassRole"
        Resource  = local.passable_role_arns
        Condition = { StringEquals = { "iam:PassedToService" = "ecs-tasks.amazonaws.com" } }
      },
      {
        Sid      = "DeployToHost"
        Effect   = "Allow"
        Action   = "ssm:SendCommand"
        Resource = "${local.arn_prefix}:ssm:${var.aws_region}::document/AWS-RunShellScript"
      },
      {
        Sid       = "DeployToProjectHosts"
        Effect    = "Allow"
        Action    = "ssm:SendCommand"
        Resource  = "${local.arn_prefix}:ec2:${var.aws_region}:${local.account_id}:instance/*"
        Condition = { StringEquals = { "aws:ResourceTag/Project" = local.project.resource_prefix } }
      },
      {
        Sid      = "FollowDeploys"
        Effect   = "Allow"
        Action   = ["ssm:GetCommandInvocation", "ssm:ListCommandInvocations", "ec2:DescribeInstances", "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeTargetHealth"]
        Resource = "*"
      },
      {
        Sid      = "ReadLogs"
        Effect   = "Allow"
        Action   = ["logs:FilterLogEvents", "logs:GetLogEvents", "logs:DescribeLogStreams"]
        Resource = concat(local.log_group_arns, [for arn in local.log_group_arns : "${arn}:log-stream:*"])
      },
      {
        Sid      = "ReadStateOutputs"
        Effect   = "Allow"
        Action   = "s3:GetObject"
        Resource = "${aws_s3_bucket.state.arn}/${local.project.resource_prefix}/*"
      },
      {
        Sid      = "ListState"
        Effect   = "Allow"
        Action   = "s3:ListBucket"
        Resource = aws_s3_bucket.state.arn
      },
      {
        Sid      = "UploadDeployBundles"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:GetObject"]
        Resource = [for arn in local.media_bucket_arns : "${arn}/deploy-bundle/*"]
      },
    ]
  })
}
