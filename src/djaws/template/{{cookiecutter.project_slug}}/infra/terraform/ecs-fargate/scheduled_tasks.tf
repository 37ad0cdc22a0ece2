# The backend's periodic management commands, without Celery (var.enable_celery = false): with Celery,
# beat schedules them; without, EventBridge Scheduler starts each one as a one-off Fargate task, the
# way `ops manage` runs a command: the web family (the web service's, or the packed layout's web-only
# family) with a command override, on the services' subnets, security group and capacity provider.
#
# Each schedule runs one exact revision of that family: `ops deploy` and `ops rollback` point the
# schedules at the release's web revision once the release is verified, so a command always runs the
# code and settings the services run. Terraform creates a schedule on the family without a revision
# (its latest ACTIVE one) and leaves the revision to ops afterwards, as it does for the services. Both
# commands are idempotent: a run that fails or is skipped (a Spot reclaim, a retry that comes too late)
# is made up by the next one; a run Scheduler gives up on raises the alarm below.
#
# The role lives here rather than in iam.tf: it exists only with these schedules and is scoped to them.

locals {
  # Process table: schedule name -> management command and how often it runs. Each run is a Fargate
  # task billed for at least a minute, so the retry sweep runs every 15 minutes (beat's and the EC2
  # host's run every 5): a file whose in-request processing failed waits up to 20 minutes.
  scheduled_commands = var.enable_celery ? {} : {
    purge-stale-uploads       = { command = ["purge_stale_uploads"], schedule = "rate(1 hour)" }
    retry-unprocessed-uploads = { command = ["retry_unprocessed_uploads"], schedule = "rate(15 minutes)" }
  }
  scheduled_family     = aws_ecs_task_definition.service["web"].family
  scheduled_family_arn = "arn:${local.partition}:ecs:${var.aws_region}:${local.account_id}:task-definition/${local.scheduled_family}"
  schedules_enabled    = length(local.scheduled_commands) > 0
}

resource "aws_scheduler_schedule_group" "management" {
  count = local.schedules_enabled ? 1 : 0

  name = local.names.scheduler_group
}

resource "aws_scheduler_schedule" "management" {
  #checkov:skip=CKV_AWS_297:The schedules hold a management command's name and no data; an AWS-owned key encrypts them, a customer key would cost $1 a month and a key policy for Scheduler.
  for_each = local.scheduled_commands

  name                = each.key
  group_name          = aws_scheduler_schedule_group.management[0].name
  description         = "manage.py ${join(" ", each.value.command)} as a one-off task of ${local.scheduled_family}"
  schedule_expression = each.value.schedule

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_ecs_cluster.main.arn
    role_arn = aws_iam_role.scheduler[0].arn
    # RunTask's overrides: the web container runs the command instead of the server.
    input = jsonencode({
      containerOverrides = [{ name = "web", command = concat(local.manage_command, each.value.command) }]
    })

    ecs_parameters {
      task_definition_arn = local.scheduled_family_arn
      task_count          = 1
      # The task carries the family's tags (Project, Environment): its cost counts in the budget.
      propagate_tags = "TASK_DEFINITION"

      capacity_provider_strategy {
        capacity_provider = var.capacity_provider
        weight            = 1
      }

      network_configuration {
        subnets          = local.task_subnet_ids
        security_groups  = [aws_security_group.app.id]
        assign_public_ip = !var.enable_nat_gateway
      }
    }

    # A run that cannot start within five minutes is dropped: the next run does the same work.
    retry_policy {
      maximum_event_age_in_seconds = 300
      maximum_retry_attempts       = 3
    }
  }

  # ops sets the revision of each release it deploys or rolls back to.
  lifecycle {
    ignore_changes = [target[0].ecs_parameters[0].task_definition_arn]
  }

  depends_on = [aws_iam_role_policy.scheduler, aws_ecs_cluster_capacity_providers.main]
}

resource "aws_cloudwatch_metric_alarm" "schedules_dropped" {
  count = local.schedules_enabled ? 1 : 0

  alarm_name          = "${local.names.scheduler_group}-dropped"
  alarm_description   = "A periodic management command did not start: Scheduler gave up after its retries (RunTask refused: capacity, permissions, a revision that cannot run)"
  namespace           = "AWS/Scheduler"
  metric_name         = "InvocationDroppedCount"
  dimensions          = { ScheduleGroup = aws_scheduler_schedule_group.management[0].name }
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  # No schedule ran into trouble, no data.
  treat_missing_data = "notBreaching"
  alarm_actions      = local.alarm_actions
  ok_actions         = local.alarm_actions
}

resource "aws_iam_role" "scheduler" {
  count = local.schedules_enabled ? 1 : 0

  name        = local.names.iam_scheduler_role
  description = "EventBridge Scheduler starts the ${local.project.resource_prefix} ${var.environment} periodic management commands with this role"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { Service = "scheduler.amazonaws.com" }
        Action    = "sts:AssumeRole"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
          ArnLike      = { "aws:SourceArn" = "arn:${local.partition}:scheduler:${var.aws_region}:${local.account_id}:schedule/${local.names.scheduler_group}/*" }
        }
      },
    ]
  })
}

resource "aws_iam_role_policy" "scheduler" {
  count = local.schedules_enabled ? 1 : 0

  name = "run-management-tasks"
  role = aws_iam_role.scheduler[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # Any revision of the web family, in this cluster only.
        Sid      = "RunWebFamily"
        Effect   = "Allow"
        Action   = "ecs:RunTask"
        Resource = [local.scheduled_family_arn, "${local.scheduled_family_arn}:*"]
        Condition = {
          ArnEquals = { "ecs:cluster" = aws_ecs_cluster.main.arn }
        }
      },
      {
        # propagate_tags: RunTask tags the task it starts.
        Sid      = "TagStartedTasks"
        Effect   = "Allow"
        Action   = "ecs:TagResource"
        Resource = "arn:${local.partition}:ecs:${var.aws_region}:${local.account_id}:task/${aws_ecs_cluster.main.name}/*"
        Condition = {
          StringEquals = { "ecs:CreateAction" = "RunTask" }
        }
      },
      {
        Sid      = "PassTaskRoles"
        Effect   = "Allow"
        Action   = "iam:PassRole"
        Resource = [aws_iam_role.execution.arn, aws_iam_role.task.arn]
        Condition = {
          StringEquals = { "iam:PassedToService" = "ecs-tasks.amazonaws.com" }
        }
      },
    ]
  })
}
