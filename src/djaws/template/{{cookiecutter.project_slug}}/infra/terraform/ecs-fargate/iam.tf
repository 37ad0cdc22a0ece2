# Execution role: what ECS itself needs to start a task (pull this project's images, inject the Django
# secret key, write to its log groups). Task role: what the app may do (this bucket's objects, the
# rotating database password) and, with enable_exec, the ECS Exec channel. Both can only be assumed
# by ECS tasks of this account.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  ecs_tasks_trust_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { Service = "ecs-tasks.amazonaws.com" }
        Action    = "sts:AssumeRole"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
          ArnLike      = { "aws:SourceArn" = "arn:${local.partition}:ecs:${var.aws_region}:${local.account_id}:*" }
        }
      },
    ]
  })
  log_group_arns = [for name in values(local.log_groups) : "arn:${local.partition}:logs:${var.aws_region}:${local.account_id}:log-group:${name}"]
}

resource "aws_iam_role" "execution" {
  name               = local.names.iam_execution_role
  description        = "ECS starts ${local.project.resource_prefix} ${var.environment} tasks with this role"
  assume_role_policy = local.ecs_tasks_trust_policy
}

resource "aws_iam_role_policy" "execution" {
  name = "start-tasks"
  role = aws_iam_role.execution.id
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
        Sid      = "PullImages"
        Effect   = "Allow"
        Action   = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
        Resource = values(module.container_registry.repository_arns)
      },
      {
        Sid      = "WriteLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = [for arn in local.log_group_arns : "${arn}:log-stream:*"]
      },
      {
        Sid      = "ReadSecrets"
        Effect   = "Allow"
        Action   = "secretsmanager:GetSecretValue"
        Resource = [module.django_secret_key.arn, module.readiness_token.arn]
      },
    ]
  })
}

resource "aws_iam_role" "task" {
  name               = local.names.iam_task_role
  description        = "The ${local.project.resource_prefix} ${var.environment} app runs with this role"
  assume_role_policy = local.ecs_tasks_trust_policy
}

resource "aws_iam_role_policy" "task" {
  name = "app"
  role = aws_iam_role.task.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ListMedia"
        Effect   = "Allow"
        Action   = "s3:ListBucket"
        Resource = module.media_bucket.arn
      },
      {
        Sid    = "ReadWriteMedia"
        Effect = "Allow"
        Action = [
          "s3:GetObject",
          "s3:PutObject",
          "s3:DeleteObject",
          # Uploads carry the pending tag, and completion's copy replaces it.
          "s3:PutObjectTagging",
        ]
        Resource = "${module.media_bucket.arn}/*"
      },
      {
        # The RDS-managed password, read when a connection opens: it rotates under running tasks.
        Sid      = "ReadDatabasePassword"
        Effect   = "Allow"
        Action   = "secretsmanager:GetSecretValue"
        Resource = aws_db_instance.main.master_user_secret[0].secret_arn
      },
    ]
  })
}

# ECS Exec (`ops exec`): the SSM agent in each task opens the session's channels with the task role.
# Who may start a session is decided by ecs:ExecuteCommand on the caller, not here.
resource "aws_iam_role_policy" "task_exec" {
  count = var.enable_exec ? 1 : 0

  name = "ecs-exec"
  role = aws_iam_role.task.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # These actions take no resource ARN.
        Sid    = "EcsExecChannel"
        Effect = "Allow"
        Action = [
          "ssmmessages:CreateControlChannel",
          "ssmmessages:CreateDataChannel",
          "ssmmessages:OpenControlChannel",
          "ssmmessages:OpenDataChannel",
        ]
        Resource = "*"
      },
    ]
  })
}
