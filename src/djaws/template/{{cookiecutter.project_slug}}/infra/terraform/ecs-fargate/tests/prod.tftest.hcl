# terraform test -var-file=envs/prod.tfvars -filter=tests/prod.tftest.hcl  (make infra-test)

mock_provider "aws" {
  source = "./tests/mocks"
}

run "prod_is_sized_and_protected" {
  command = plan

  assert {
    condition     = aws_db_instance.main.instance_class == var.db_instance_class && aws_elasticache_replication_group.main[0].node_type == var.cache_node_type
    error_message = "The database and cache take their classes from the tfvars."
  }

  assert {
    condition     = alltrue([for name, definition in aws_ecs_task_definition.service : definition.cpu == tostring(var.service_sizes[name].cpu) && definition.memory == tostring(var.service_sizes[name].memory)]) && output.service_desired_counts["web"] >= 2 && aws_ecs_service.service["web"].desired_count == 0
    error_message = "Each service's task has its service_sizes entry; prod runs web on at least two tasks, created with zero until the first ops deploy."
  }

  assert {
    condition     = aws_db_instance.main.deletion_protection && !aws_db_instance.main.skip_final_snapshot && aws_db_instance.main.backup_retention_period >= 14
    error_message = "prod's database is deletion-protected, keeps a final snapshot and 14+ days of backups."
  }

  assert {
    condition     = aws_lb.main.enable_deletion_protection
    error_message = "prod's load balancer is deletion-protected."
  }

  assert {
    condition     = module.django_secret_key.recovery_window_in_days == 30
    error_message = "prod's secret can be recovered for 30 days after deletion."
  }

  assert {
    condition     = one([for setting in aws_ecs_cluster.main.setting : setting.value if setting.name == "containerInsights"]) == "enabled"
    error_message = "prod has Container Insights on."
  }

  assert {
    condition     = length(module.network.nat_gateway_ids) == 1 && length(aws_appautoscaling_policy.requests) >= 1
    error_message = "prod runs behind NAT and scales on ALB requests."
  }

  assert {
    condition     = alltrue([for group in aws_cloudwatch_log_group.service : group.retention_in_days == var.log_retention_days])
    error_message = "Every log group keeps log_retention_days."
  }

  assert {
    condition     = alltrue([for name, service in aws_ecs_service.service : output.service_desired_counts[name] == 1 && service.deployment_maximum_percent == 100 if name == "beat"]) && toset(keys(aws_ecs_service.service)) == toset(["web", "websocket", "frontend", "worker", "beat"]) && alltrue([for service in aws_ecs_service.service : one(service.capacity_provider_strategy).capacity_provider == "FARGATE" && length(service.load_balancer) <= 1])
    error_message = "beat runs exactly one task, also during deployments."
  }
}
