# The deploy role: exactly what `ops deploy|rollback|migrate|manage|releases|status|logs|backup|backups` call,
# on this project's resources only. It can push images, register task-definition revisions, move
# services, point the management schedules at a release, run one-off tasks, send the EC2 host its
# deploy, status and backup commands, read target health, state outputs, logs and the readiness token,
# write release records, snapshot databases and list their backups. It cannot create, change or delete
# infrastructure.
# One permission per line: adding an action ops starts to call is one line in deploy_permissions.

locals {
  ecr_repository_arns = flatten([
    for names in local.environments : [
      for repository in [names.ecr_backend, names.ecr_frontend] :
      "${local.arn_prefix}:ecr:${var.aws_region}:${local.account_id}:repository/${repository}"
    ]
  ])
  # Every service and family name either task layout uses (app: the packed layout's one service).
  ecs_services = ["web", "websocket", "frontend", "worker", "beat", "app"]
  ecs_service_arns = flatten([
    for names in local.environments : [
      for service in local.ecs_services :
      "${local.arn_prefix}:ecs:${var.aws_region}:${local.account_id}:service/${names.ecs_cluster}/${names["ecs_service_${service}"]}"
    ]
  ])
  ecs_task_definition_arns = flatten([
    for names in local.environments : [
      for service in local.ecs_services :
      "${local.arn_prefix}:ecs:${var.aws_region}:${local.account_id}:task-definition/${names["ecs_service_${service}"]}:*"
    ]
  ])
  ecs_cluster_arns = [for names in local.environments : "${local.arn_prefix}:ecs:${var.aws_region}:${local.account_id}:cluster/${names.ecs_cluster}"]
  ecs_task_arns    = [for names in local.environments : "${local.arn_prefix}:ecs:${var.aws_region}:${local.account_id}:task/${names.ecs_cluster}/*"]
  passable_role_arns = flatten([
    for names in local.environments : [
      "${local.arn_prefix}:iam::${local.account_id}:role/${names.iam_execution_role}",
      "${local.arn_prefix}:iam::${local.account_id}:role/${names.iam_task_role}",
    ]
  ])
  log_group_arns = flatten([
    for names in local.environments : [
      "${local.arn_prefix}:logs:${var.aws_region}:${local.account_id}:log-group:${names.log_group_prefix}/*",
      "${local.arn_prefix}:logs:${var.aws_region}:${local.account_id}:log-group:${names.log_group_prefix}/*:log-stream:*",
    ]
  ])
  # `ops backup` / `ops backups`: each environment's database instance, its manual snapshots
  # (<instance>-manual-<time>) and automated ones (rds:<instance>-<time>); on EC2, the media bucket's dumps.
  rds_instance_arns = [for names in local.environments : "${local.arn_prefix}:rds:${var.aws_region}:${local.account_id}:db:${names.rds_instance}"]
  # A manual snapshot's <instance> is shortened as ops does it (its first 40 characters, trailing
  # hyphens dropped), so that "<instance>-manual-YYYYMMDD-HHMMSS" fits RDS's 63 characters.
  rds_snapshot_arns = flatten([
    for names in local.environments : [
      "${local.arn_prefix}:rds:${var.aws_region}:${local.account_id}:snapshot:${replace(substr(names.rds_instance, 0, 40), "/-+$/", "")}-manual-*",
      "${local.arn_prefix}:rds:${var.aws_region}:${local.account_id}:snapshot:rds:${names.rds_instance}-*",
    ]
  ])
  media_bucket_arns  = [for names in local.environments : "${local.arn_prefix}:s3:::${names.media_bucket}"]
  state_bucket_arn   = "${local.arn_prefix}:s3:::${local.project.shared.state_bucket}"
  project_state_arns = "${local.state_bucket_arn}/${local.project.resource_prefix}/*"
  # The media bucket holds users' files beside the dumps: listing is limited to the dumps' prefix.
  database_dumps_prefix = "backups/postgres/"
  release_record_arn    = "${local.state_bucket_arn}/${local.project.resource_prefix}/*/releases/*"

  # Sid => actions, resources and (optionally) a condition block.
  deploy_permissions = {
    EcrLogin = {
      actions   = ["ecr:GetAuthorizationToken"]
      resources = ["*"]
    }
    PushAndPullImages = {
      actions = [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:CompleteLayerUpload",
        "ecr:DescribeImages",
        "ecr:GetDownloadUrlForLayer",
        "ecr:InitiateLayerUpload",
        "ecr:PutImage",
        "ecr:UploadLayerPart",
      ]
      resources = local.ecr_repository_arns
    }
    # ECS authorises these three on "*" only: they take no resource ARN.
    TaskDefinitions = {
      actions = [
        "ecs:DescribeTaskDefinition",
        "ecs:ListTaskDefinitions",
        "ecs:RegisterTaskDefinition",
      ]
      resources = ["*"]
    }
    MoveServices = {
      actions = [
        "ecs:DescribeServices",
        "ecs:UpdateService",
      ]
      resources = local.ecs_service_arns
    }
    RunOneOffTasks = {
      actions   = ["ecs:RunTask"]
      resources = local.ecs_task_definition_arns
      condition = { ArnEquals = { "ecs:cluster" = local.ecs_cluster_arns } }
    }
    # New revisions and one-off tasks carry the tags of the revision they copy; ECS checks
    # TagResource on create.
    TagOnCreate = {
      actions   = ["ecs:TagResource"]
      resources = concat(local.ecs_task_definition_arns, local.ecs_task_arns)
      condition = { StringEquals = { "ecs:CreateAction" = ["RegisterTaskDefinition", "RunTask"] } }
    }
    FollowOneOffTasks = {
      actions = [
        "ecs:DescribeTasks",
        "ecs:StopTask",
      ]
      resources = local.ecs_task_arns
    }
    PassTaskRoles = {
      actions   = ["iam:PassRole"]
      resources = local.passable_role_arns
      condition = { StringEquals = { "iam:PassedToService" = "ecs-tasks.amazonaws.com" } }
    }
    # ECS without Celery: each release points the management schedules at its web revision.
    PointManagementSchedules = {
      actions   = ["scheduler:GetSchedule", "scheduler:UpdateSchedule"]
      resources = [for names in local.environments : "${local.arn_prefix}:scheduler:${var.aws_region}:${local.account_id}:schedule/${names.scheduler_group}/*"]
    }
    PassSchedulerRole = {
      actions   = ["iam:PassRole"]
      resources = [for names in local.environments : "${local.arn_prefix}:iam::${local.account_id}:role/${names.iam_scheduler_role}"]
      condition = { StringEquals = { "iam:PassedToService" = "scheduler.amazonaws.com" } }
    }
    SendHostCommands = {
      actions   = ["ssm:SendCommand"]
      resources = ["${local.arn_prefix}:ssm:${var.aws_region}::document/AWS-RunShellScript"]
    }
    SendCommandsToProjectHosts = {
      actions   = ["ssm:SendCommand"]
      resources = ["${local.arn_prefix}:ec2:${var.aws_region}:${local.account_id}:instance/*"]
      condition = { StringEquals = { "aws:ResourceTag/Project" = local.project.resource_prefix } }
    }
    # SSM and EC2 authorise these on "*" only.
    FollowHostCommands = {
      actions = [
        "ec2:DescribeInstances",
        "ssm:GetCommandInvocation",
      ]
      resources = ["*"]
    }
    # Stg and prod register their scaling targets suspended; the first verified deploy resumes them.
    # Application Auto Scaling authorises these on "*" only.
    ResumeAutoscaling = {
      actions = [
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:RegisterScalableTarget",
      ]
      resources = ["*"]
    }
    # `ops status`: load-balancer targets per service. Elastic Load Balancing authorises it on "*" only.
    ReadTargetHealth = {
      actions   = ["elasticloadbalancing:DescribeTargetHealth"]
      resources = ["*"]
    }
    ReadLogs = {
      actions = [
        "logs:FilterLogEvents",
        "logs:GetLogEvents",
      ]
      resources = local.log_group_arns
    }
    # A restore is not here: on ECS it creates a database instance (the infrastructure role's work);
    # on EC2 it is a host command like a deploy.
    SnapshotDatabases = {
      actions   = ["rds:CreateDBSnapshot", "rds:AddTagsToResource"]
      resources = concat(local.rds_instance_arns, local.rds_snapshot_arns)
    }
    ReadDatabaseBackups = {
      actions = [
        "rds:DescribeDBInstanceAutomatedBackups",
        "rds:DescribeDBInstances",
        "rds:DescribeDBSnapshots",
      ]
      resources = concat(
        local.rds_instance_arns,
        local.rds_snapshot_arns,
        ["${local.arn_prefix}:rds:${var.aws_region}:${local.account_id}:auto-backup:*"],
      )
    }
    ListDatabaseDumps = {
      actions   = ["s3:ListBucket"]
      resources = local.media_bucket_arns
      condition = { StringLike = { "s3:prefix" = ["${local.database_dumps_prefix}*"] } }
    }
    ReadDatabaseDumps = {
      actions   = ["s3:GetObject"]
      resources = [for arn in local.media_bucket_arns : "${arn}/${local.database_dumps_prefix}*"]
    }
    # `ops rollback` and `ops releases` list the release records; other projects may share the bucket.
    ListState = {
      actions   = ["s3:ListBucket"]
      resources = [local.state_bucket_arn]
      condition = { StringLike = { "s3:prefix" = ["${local.project.resource_prefix}/*"] } }
    }
    ReadStateOutputs = {
      actions   = ["s3:GetObject"]
      resources = [local.project_state_arns]
    }
    WriteReleaseRecords = {
      actions   = ["s3:PutObject"]
      resources = [local.release_record_arn]
    }
    # `ops deploy` on ECS: when a release's readiness check fails, the token shows why. (Secret ARNs
    # end in "-" and six random characters.)
    ReadReadinessToken = {
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [for names in local.environments : "${local.arn_prefix}:secretsmanager:${var.aws_region}:${local.account_id}:secret:${names.secret_readiness_token}-??????"]
    }
  }
}

resource "aws_iam_role" "deploy" {
  count = local.github_enabled ? 1 : 0

  name                 = local.project.shared.iam_deploy_role
  description          = "GitHub Actions of ${local.repository} deploy ${local.project.resource_prefix}"
  max_session_duration = 3600
  assume_role_policy   = local.github_trust_policy
}

resource "aws_iam_role_policy" "deploy" {
  #checkov:skip=CKV_AWS_290:The few actions on "*" (ECR login, task definitions, scaling targets, target health, DescribeInstances, GetCommandInvocation) take no resource ARN.
  #checkov:skip=CKV_AWS_355:The few actions on "*" (ECR login, task definitions, scaling targets, target health, DescribeInstances, GetCommandInvocation) take no resource ARN.
  count = local.github_enabled ? 1 : 0

  name = "deploy"
  role = aws_iam_role.deploy[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      for sid, permission in local.deploy_permissions : merge(
        { Sid = sid, Effect = "Allow", Action = permission.actions, Resource = permission.resources },
        try({ Condition = permission.condition }, {}),
      )
    ]
  })
}
