# terraform test -var-file=envs/demo.tfvars -filter=tests/behaviour.tftest.hcl  (make infra-test)
# Logic that does not depend on the environment: HTTPS only with a certificate, path routing,
# deployment safety, encryption. The mock fills computed values in at plan time, so conditions on
# them (the site URL) can be checked without an apply.

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

run "plain_http_without_a_certificate" {
  command = plan

  variables {
    certificate_arn = ""
  }

  assert {
    condition     = length(aws_lb_listener.https) == 0 && aws_lb_listener.http.default_action[0].type == "forward"
    error_message = "Without a certificate the HTTP listener serves the site (forced HTTPS without one makes the site unreachable)."
  }

  assert {
    condition     = startswith(output.site_url, "http://") && output.app_settings.SERVED_OVER_HTTPS == "false"
    error_message = "Without a certificate the site URL is http:// and the backend is not told otherwise."
  }
}

run "https_and_redirect_with_a_certificate" {
  command = plan

  variables {
    domain_name     = "shop.example.com"
    certificate_arn = "arn:aws:acm:ap-northeast-2:123456789012:certificate/0f0f0f0f-1111-2222-3333-444444444444"
  }

  assert {
    condition     = length(aws_lb_listener.https) == 1 && aws_lb_listener.https[0].port == 443
    error_message = "A certificate adds the HTTPS listener."
  }

  assert {
    condition     = aws_lb_listener.http.default_action[0].type == "redirect" && aws_lb_listener.http.default_action[0].redirect[0].protocol == "HTTPS"
    error_message = "With a certificate HTTP redirects to HTTPS."
  }

  assert {
    condition     = output.site_url == "https://shop.example.com"
    error_message = "With a certificate and a domain the site URL is https://domain."
  }

  assert {
    condition     = output.app_settings.SERVED_OVER_HTTPS == "true" && output.app_settings.CSRF_TRUSTED_ORIGINS == "https://shop.example.com"
    error_message = "The backend is told it is served over HTTPS, and trusts only the https:// origin."
  }

  assert {
    condition     = aws_lb_listener.https[0].certificate_arn == var.certificate_arn && length(aws_acm_certificate.site) == 0 && length(aws_route53_record.site) == 0
    error_message = "A certificate brought along is served as it is: no certificate requested, no DNS records without a zone."
  }
}

run "own_certificate_validated_and_aliased_through_the_zone" {
  command = plan

  variables {
    domain_name     = "shop.example.com"
    certificate_arn = ""
    hosted_zone_id  = "Z0123456789ABCDEFGHIJ"
  }

  assert {
    condition     = aws_acm_certificate.site[0].domain_name == "shop.example.com" && aws_acm_certificate.site[0].validation_method == "DNS"
    error_message = "With a domain and no certificate_arn the stack requests a DNS-validated ACM certificate."
  }

  assert {
    condition     = aws_route53_record.certificate_validation["shop.example.com"].zone_id == "Z0123456789ABCDEFGHIJ" && aws_route53_record.certificate_validation["shop.example.com"].name == "_0123456789abcdef.shop.example.com." && aws_route53_record.certificate_validation["shop.example.com"].type == "CNAME"
    error_message = "The validation record ACM asks for is written to the zone."
  }

  assert {
    condition     = length(aws_acm_certificate_validation.site) == 1 && aws_lb_listener.https[0].certificate_arn == aws_acm_certificate_validation.site[0].certificate_arn
    error_message = "The HTTPS listener serves the certificate only through its validation (which waits for ISSUED)."
  }

  assert {
    condition     = aws_route53_record.site[0].name == "shop.example.com" && aws_route53_record.site[0].type == "A" && aws_route53_record.site[0].alias[0].name == "mock-alb-123.ap-northeast-2.elb.amazonaws.com"
    error_message = "An alias record points the domain at the load balancer."
  }

  assert {
    condition     = aws_lb_listener.http.default_action[0].type == "redirect" && output.site_url == "https://shop.example.com" && output.app_settings.SERVED_OVER_HTTPS == "true"
    error_message = "With the issued certificate: HTTP redirects, the site URL is https, the backend is told."
  }

  assert {
    condition     = output.certificate_status == "serving"
    error_message = "certificate_status says HTTPS serves."
  }
}

run "own_certificate_without_a_zone_prints_records_and_stays_on_http" {
  command = plan

  variables {
    domain_name     = "shop.example.com"
    certificate_arn = ""
  }

  assert {
    condition     = length(aws_acm_certificate.site) == 1 && length(aws_acm_certificate_validation.site) == 0 && length(aws_route53_record.certificate_validation) == 0 && length(aws_route53_record.site) == 0
    error_message = "Without a zone the certificate is requested and nothing waits for it; no records are written."
  }

  assert {
    condition     = output.certificate_validation_records["shop.example.com"].name == "_0123456789abcdef.shop.example.com." && output.certificate_validation_records["shop.example.com"].type == "CNAME"
    error_message = "The records to publish are in the outputs."
  }

  assert {
    condition     = length(aws_lb_listener.https) == 0 && aws_lb_listener.http.default_action[0].type == "forward"
    error_message = "Until the certificate is issued the site stays on HTTP (no redirect to a listener that does not exist)."
  }

  assert {
    condition     = output.site_url == "http://shop.example.com" && output.app_settings.SERVED_OVER_HTTPS == "false" && output.certificate_status == "awaiting-dns-records"
    error_message = "Until then the backend is not told HTTPS, and certificate_status says what is missing."
  }
}

run "published_records_turn_https_on_after_issuance" {
  command = plan

  variables {
    domain_name                   = "shop.example.com"
    certificate_arn               = ""
    certificate_records_published = true
  }

  assert {
    condition     = length(aws_acm_certificate_validation.site) == 1 && aws_acm_certificate_validation.site[0].validation_record_fqdns == null
    error_message = "Published records: the apply waits for ACM to issue the certificate (the records are the user's)."
  }

  assert {
    condition     = length(aws_lb_listener.https) == 1 && aws_lb_listener.http.default_action[0].type == "redirect" && output.site_url == "https://shop.example.com"
    error_message = "Then HTTPS serves and HTTP redirects."
  }
}

run "a_zone_without_a_domain_is_refused" {
  command = plan

  variables {
    domain_name    = ""
    hosted_zone_id = "Z0123456789ABCDEFGHIJ"
  }

  expect_failures = [var.hosted_zone_id]
}

run "published_records_with_a_zone_are_refused" {
  command = plan

  variables {
    domain_name                   = "shop.example.com"
    hosted_zone_id                = "Z0123456789ABCDEFGHIJ"
    certificate_records_published = true
  }

  expect_failures = [var.certificate_records_published]
}

run "paths_route_to_their_processes" {
  command = plan

  variables {
    enable_frontend  = true
    enable_websocket = true
  }

  assert {
    condition     = toset(flatten([for condition in aws_lb_listener_rule.api.condition : [for pattern in condition.path_pattern : pattern.values]])) == toset(["/api/*"])
    error_message = "/api/* goes to the backend."
  }

  assert {
    condition     = length(aws_lb_listener_rule.websocket) == 1 && toset(flatten([for condition in aws_lb_listener_rule.websocket[0].condition : [for pattern in condition.path_pattern : pattern.values]])) == toset(["/ws/*"])
    error_message = "/ws/* goes to the websocket target group."
  }

  assert {
    condition     = aws_lb_target_group.process["web"].health_check[0].path == "/api/health/" && aws_lb_target_group.process["frontend"].health_check[0].path == "/" && aws_lb_target_group.process["websocket"].port == 8001
    error_message = "Health checks: backend /api/health/, frontend /."
  }
}

run "without_frontend_the_backend_serves_everything" {
  command = plan

  variables {
    enable_frontend   = false
    enable_websocket  = false
    enable_celery     = false
    task_layout       = "per-process"
    redis             = "elasticache"
    capacity_provider = "FARGATE"
  }

  assert {
    condition     = toset(keys(aws_lb_target_group.process)) == toset(["web"]) && length(aws_lb_listener_rule.websocket) == 0
    error_message = "No frontend and no websocket: no target groups or rules for them."
  }

  assert {
    condition     = toset(keys(aws_ecs_service.service)) == toset(["web"])
    error_message = "Only the web service runs without frontend, websocket and Celery."
  }
}

run "services_roll_back_and_leave_revisions_to_ci" {
  command = plan

  assert {
    condition     = alltrue([for service in aws_ecs_service.service : service.deployment_circuit_breaker[0].enable && service.deployment_circuit_breaker[0].rollback])
    error_message = "Every service has the deployment circuit breaker with rollback."
  }

  assert {
    condition     = alltrue([for service in aws_ecs_service.service : service.enable_execute_command])
    error_message = "ECS Exec is on for every service."
  }

  assert {
    condition     = length(aws_iam_role_policy.task_exec) == 1 && strcontains(aws_iam_role_policy.task_exec[0].policy, "ssmmessages:OpenDataChannel")
    error_message = "With ECS Exec on, the task role may open the session channels."
  }

  assert {
    condition     = aws_db_instance.main.manage_master_user_password && aws_db_instance.main.storage_encrypted
    error_message = "RDS manages the master password in Secrets Manager and encrypts storage."
  }

}

run "managed_redis_is_encrypted" {
  command = plan

  variables {
    redis = "elasticache"
  }

  assert {
    condition     = aws_elasticache_replication_group.main[0].transit_encryption_enabled && aws_elasticache_replication_group.main[0].at_rest_encryption_enabled
    error_message = "Redis is encrypted in transit and at rest."
  }

  assert {
    condition     = startswith(one([for variable in one([for container in jsondecode(aws_ecs_task_definition.service["app"].container_definitions) : container.environment if container.name == "web"]) : variable.value if variable.name == "REDIS_URL"]), "rediss://") && !contains(keys(local.container_definitions), "redis")
    error_message = "With ElastiCache the backend connects over TLS and no Redis container runs."
  }
}

run "no_exec_when_turned_off" {
  command = plan

  variables {
    enable_exec = false
  }

  assert {
    condition     = !anytrue([for service in aws_ecs_service.service : service.enable_execute_command]) && length(aws_iam_role_policy.task_exec) == 0
    error_message = "enable_exec = false turns ECS Exec off on every service and grants the task role no session channel."
  }
}

run "nat_only_where_asked" {
  command = plan

  variables {
    enable_nat_gateway = true
  }

  assert {
    condition     = length(module.network.nat_gateway_ids) == 1 && !anytrue([for service in aws_ecs_service.service : service.network_configuration[0].assign_public_ip])
    error_message = "Asking for NAT puts tasks in private subnets behind one NAT gateway."
  }
}

run "packed_layout_runs_every_process_in_one_task" {
  command = plan

  variables {
    enable_frontend   = true
    enable_websocket  = true
    enable_celery     = true
    task_layout       = "packed"
    redis             = "container"
    capacity_provider = "FARGATE_SPOT"
  }

  assert {
    condition     = toset(keys(aws_ecs_service.service)) == toset(["app"]) && toset([for container in jsondecode(aws_ecs_task_definition.service["app"].container_definitions) : container.name]) == toset(["web", "websocket", "frontend", "worker", "beat", "redis"])
    error_message = "One service whose task runs every process and Redis."
  }

  assert {
    condition     = { for entry in aws_ecs_service.service["app"].load_balancer : entry.container_name => entry.container_port } == { web = 8000, websocket = 8001, frontend = 3000 } && toset([for entry in aws_ecs_service.service["app"].load_balancer : entry.target_group_arn]) == toset([for group in aws_lb_target_group.process : group.arn])
    error_message = "The one service is in each target group, on each load-balanced container's port."
  }

  assert {
    condition     = aws_ecs_service.service["app"].deployment_minimum_healthy_percent == 100 && aws_ecs_service.service["app"].deployment_maximum_percent == 200 && output.service_desired_counts == { app = 1 }
    error_message = "The packed task serves the site: one task, and a deploy starts the new one before the old one stops."
  }

  assert {
    condition     = one(aws_ecs_service.service["app"].capacity_provider_strategy).capacity_provider == "FARGATE_SPOT"
    error_message = "capacity_provider picks Fargate Spot through the service's capacity provider strategy."
  }

  assert {
    condition     = length(aws_elasticache_replication_group.main) == 0 && length(aws_security_group.redis) == 0 && one([for variable in one([for container in jsondecode(aws_ecs_task_definition.service["app"].container_definitions) : container.environment if container.name == "web"]) : variable.value if variable.name == "REDIS_URL"]) == "redis://localhost:6379/0"
    error_message = "Redis as a container: no ElastiCache, the backend reaches it on localhost."
  }

  assert {
    condition     = alltrue([for container in jsondecode(aws_ecs_task_definition.service["app"].container_definitions) : container.dependsOn == [{ containerName = "redis", condition = "HEALTHY" }] if contains(["web", "websocket", "worker", "beat"], container.name)]) && contains(one([for container in jsondecode(aws_ecs_task_definition.service["app"].container_definitions) : container.command if container.name == "redis"]), "127.0.0.1")
    error_message = "The backend containers wait for Redis, which listens on localhost only."
  }

  assert {
    condition     = [for container in jsondecode(aws_ecs_task_definition.service["web"].container_definitions) : container.name] == ["web", "redis"] && output.migration_task.task_definition_family == aws_ecs_task_definition.service["web"].family && !contains(keys(aws_ecs_service.service), "web")
    error_message = "One-off tasks use a web-only family (no second beat or worker), which no service runs."
  }
}

run "container_redis_needs_the_packed_layout" {
  command = plan

  variables {
    task_layout = "per-process"
    redis       = "container"
  }

  expect_failures = [var.redis]
}

run "the_packed_layout_does_not_autoscale" {
  command = plan

  variables {
    task_layout         = "packed"
    autoscaling_enabled = true
  }

  expect_failures = [var.autoscaling_enabled]
}

# Sizes the old "2x to 8x the CPU, in 512 MiB steps" rule let through and Fargate refuses.
run "a_size_fargate_does_not_offer_is_refused" {
  command = plan

  variables {
    packed_task_size = { cpu = 256, memory = 1536 }
    service_sizes = {
      web       = { cpu = 512, memory = 1536, desired_count = 1 }
      websocket = { cpu = 256, memory = 512, desired_count = 1 }
      frontend  = { cpu = 256, memory = 512, desired_count = 1 }
      worker    = { cpu = 256, memory = 512, desired_count = 1 }
      beat      = { cpu = 256, memory = 512, desired_count = 1 }
    }
  }

  expect_failures = [var.packed_task_size, var.service_sizes]
}

# Without Celery (no beat), EventBridge Scheduler runs the periodic management commands (scheduled_tasks.tf).
run "without_celery_the_scheduler_runs_the_periodic_commands" {
  command = plan

  variables {
    enable_celery      = false
    task_layout        = "packed"
    redis              = "container"
    capacity_provider  = "FARGATE_SPOT"
    enable_nat_gateway = false
  }

  assert {
    condition     = toset(keys(aws_scheduler_schedule.management)) == toset(["purge-stale-uploads", "retry-unprocessed-uploads"]) && alltrue([for schedule in aws_scheduler_schedule.management : schedule.group_name == local.names.scheduler_group])
    error_message = "Without Celery both periodic commands have a schedule, in the environment's schedule group."
  }

  assert {
    condition     = aws_scheduler_schedule.management["purge-stale-uploads"].schedule_expression == "rate(1 hour)" && aws_scheduler_schedule.management["retry-unprocessed-uploads"].schedule_expression == "rate(15 minutes)"
    error_message = "Stale uploads are purged hourly and unprocessed ones retried every five minutes (beat's cadence)."
  }

  assert {
    condition     = jsondecode(aws_scheduler_schedule.management["purge-stale-uploads"].target[0].input) == { containerOverrides = [{ name = "web", command = ["python", "manage.py", "purge_stale_uploads"] }] } && jsondecode(aws_scheduler_schedule.management["retry-unprocessed-uploads"].target[0].input) == { containerOverrides = [{ name = "web", command = ["python", "manage.py", "retry_unprocessed_uploads"] }] }
    error_message = "Each schedule overrides the web container's command with its management command, as `ops manage` does."
  }

  assert {
    condition     = alltrue([for schedule in aws_scheduler_schedule.management : schedule.target[0].ecs_parameters[0].task_definition_arn == "arn:aws:ecs:${var.aws_region}:123456789012:task-definition/${output.migration_task.task_definition_family}" && schedule.target[0].arn == aws_ecs_cluster.main.arn])
    error_message = "The schedules are created on the one-off web family (no revision: its latest; ops deploy names each release's) in the stack's cluster; no other task definition."
  }

  assert {
    condition     = output.management_schedules.group == local.names.scheduler_group && output.management_schedules.names == tolist(["purge-stale-uploads", "retry-unprocessed-uploads"])
    error_message = "The outputs name the schedules ops points at each release."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.schedules_dropped[0].namespace == "AWS/Scheduler" && aws_cloudwatch_metric_alarm.schedules_dropped[0].metric_name == "InvocationDroppedCount" && aws_cloudwatch_metric_alarm.schedules_dropped[0].dimensions == tomap({ ScheduleGroup = local.names.scheduler_group }) && aws_cloudwatch_metric_alarm.schedules_dropped[0].threshold == 1
    error_message = "A run Scheduler drops after its retries raises an alarm on the schedule group."
  }

  assert {
    condition     = alltrue([for schedule in aws_scheduler_schedule.management : one(schedule.target[0].ecs_parameters[0].capacity_provider_strategy).capacity_provider == "FARGATE_SPOT" && schedule.target[0].ecs_parameters[0].network_configuration[0].assign_public_ip])
    error_message = "Scheduled tasks run on the services' capacity provider and public-IP setting (subnets and security group: tests/infra/test_infra_scheduled_tasks.py reads them back from an apply)."
  }

  assert {
    condition     = jsondecode(aws_iam_role.scheduler[0].assume_role_policy).Statement[0].Principal.Service == "scheduler.amazonaws.com" && jsondecode(aws_iam_role.scheduler[0].assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "123456789012" && alltrue([for schedule in aws_scheduler_schedule.management : schedule.target[0].role_arn == aws_iam_role.scheduler[0].arn])
    error_message = "Only EventBridge Scheduler of this account assumes the schedules' role."
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.scheduler[0].policy).Statement == [
      {
        Sid       = "RunWebFamily"
        Effect    = "Allow"
        Action    = "ecs:RunTask"
        Resource  = ["arn:aws:ecs:${var.aws_region}:123456789012:task-definition/${output.migration_task.task_definition_family}", "arn:aws:ecs:${var.aws_region}:123456789012:task-definition/${output.migration_task.task_definition_family}:*"]
        Condition = { ArnEquals = { "ecs:cluster" = aws_ecs_cluster.main.arn } }
      },
      {
        Sid       = "TagStartedTasks"
        Effect    = "Allow"
        Action    = "ecs:TagResource"
        Resource  = "arn:aws:ecs:${var.aws_region}:123456789012:task/${aws_ecs_cluster.main.name}/*"
        Condition = { StringEquals = { "ecs:CreateAction" = "RunTask" } }
      },
      {
        Sid       = "PassTaskRoles"
        Effect    = "Allow"
        Action    = "iam:PassRole"
        Resource  = [aws_iam_role.execution.arn, aws_iam_role.task.arn]
        Condition = { StringEquals = { "iam:PassedToService" = "ecs-tasks.amazonaws.com" } }
      },
    ]
    error_message = "The schedules' role may run only the web family in this cluster, tag what it starts, and pass the task's two roles to ECS tasks alone."
  }
}

run "scheduled_tasks_follow_the_on_demand_private_network" {
  command = plan

  variables {
    enable_celery      = false
    task_layout        = "per-process"
    redis              = "elasticache"
    capacity_provider  = "FARGATE"
    enable_nat_gateway = true
  }

  assert {
    condition     = alltrue([for schedule in aws_scheduler_schedule.management : one(schedule.target[0].ecs_parameters[0].capacity_provider_strategy).capacity_provider == "FARGATE" && !schedule.target[0].ecs_parameters[0].network_configuration[0].assign_public_ip])
    error_message = "With on-demand Fargate and NAT, scheduled tasks run on demand without public IPs."
  }

  assert {
    condition     = endswith(aws_scheduler_schedule.management["purge-stale-uploads"].target[0].ecs_parameters[0].task_definition_arn, "/${aws_ecs_task_definition.service["web"].family}") && aws_ecs_task_definition.service["web"].family == local.names.ecs_service_web
    error_message = "In the per-process layout the schedules run the web service's family."
  }
}

run "with_celery_beat_schedules_them_instead" {
  command = plan

  variables {
    enable_celery = true
  }

  assert {
    condition     = length(aws_scheduler_schedule.management) == 0 && length(aws_scheduler_schedule_group.management) == 0 && length(aws_iam_role.scheduler) == 0 && length(aws_iam_role_policy.scheduler) == 0
    error_message = "With Celery, beat runs the periodic commands: no schedules, no schedule group, no scheduler role."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.schedules_dropped) == 0 && output.management_schedules.group == "" && length(output.management_schedules.names) == 0
    error_message = "With Celery there is no schedule alarm and no schedule for ops to point."
  }
}
