# Target tracking (stg/prod): every scaled service holds its average CPU; web and frontend also hold
# ALB requests per task. Beat is never scaled: it must run exactly once. The packed layout
# (task_layout = "packed") runs beat in its one task, so it never scales (variables.tf refuses both).
#
# Services start with zero tasks and a placeholder image (ecs.tf). Scaling is registered suspended,
# so no alarm can raise a service to min_capacity before there is an image to run: `ops deploy`
# resumes it once its first release is verified. Terraform ignores suspended_state from then on.

locals {
  scaled_services         = var.autoscaling_enabled ? toset([for name in keys(local.ecs_services) : name if name != "beat"]) : toset([])
  request_scaled_services = toset([for name in local.scaled_services : name if contains(["web", "frontend"], name)])
}

resource "aws_appautoscaling_target" "service" {
  for_each = local.scaled_services

  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${aws_ecs_cluster.main.name}/${aws_ecs_service.service[each.key].name}"
  min_capacity       = var.service_sizes[each.key].desired_count
  max_capacity       = max(var.autoscaling_max_count, var.service_sizes[each.key].desired_count)

  suspended_state {
    dynamic_scaling_in_suspended  = true
    dynamic_scaling_out_suspended = true
    scheduled_scaling_suspended   = true
  }

  lifecycle {
    ignore_changes = [suspended_state]
  }
}

resource "aws_appautoscaling_policy" "cpu" {
  for_each = local.scaled_services

  name               = "cpu-target-tracking"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.service[each.key].service_namespace
  scalable_dimension = aws_appautoscaling_target.service[each.key].scalable_dimension
  resource_id        = aws_appautoscaling_target.service[each.key].resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.autoscaling_cpu_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "requests" {
  for_each = local.request_scaled_services

  name               = "alb-requests-target-tracking"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.service[each.key].service_namespace
  scalable_dimension = aws_appautoscaling_target.service[each.key].scalable_dimension
  resource_id        = aws_appautoscaling_target.service[each.key].resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.autoscaling_requests_per_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = "${aws_lb.main.arn_suffix}/${local.target_group_arn_suffixes[each.key]}"
    }
  }
}
