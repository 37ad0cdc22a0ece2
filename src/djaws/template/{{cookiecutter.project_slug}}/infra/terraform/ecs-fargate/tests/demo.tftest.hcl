# terraform test -var-file=envs/demo.tfvars -filter=tests/demo.tftest.hcl  (make infra-test)
# Offline: the AWS provider is mocked, so these check what the plan asks AWS for.

mock_provider "aws" {
  source = "./tests/mocks"
}

run "demo_is_small_public_and_destroyable" {
  command = plan

  assert {
    condition     = aws_db_instance.main.instance_class == var.db_instance_class && aws_db_instance.main.backup_retention_period == var.db_backup_retention_days
    error_message = "The database takes its class and backup days from the tfvars."
  }

  assert {
    condition     = length(aws_elasticache_replication_group.main) == 0 && contains(keys(local.container_definitions), "redis")
    error_message = "demo runs Redis as a container of its task, not ElastiCache."
  }

  assert {
    condition     = keys(aws_ecs_service.service) == ["app"] && aws_ecs_task_definition.service["app"].cpu == tostring(var.packed_task_size.cpu) && aws_ecs_task_definition.service["app"].memory == tostring(var.packed_task_size.memory) && aws_ecs_service.service["app"].health_check_grace_period_seconds == 120 && output.service_desired_counts == { app = 1 } && aws_ecs_service.service["app"].desired_count == 0 && one(aws_ecs_service.service["app"].capacity_provider_strategy).capacity_provider == "FARGATE_SPOT"
    error_message = "demo runs one packed task of packed_task_size on Fargate Spot (two minutes' health-check grace), created with zero tasks until the first ops deploy."
  }

  assert {
    condition     = length(module.network.nat_gateway_ids) == 0 && aws_ecs_service.service["app"].network_configuration[0].assign_public_ip
    error_message = "demo has no NAT gateway; its tasks get public IPs."
  }

  assert {
    condition     = length(aws_appautoscaling_target.service) == 0
    error_message = "demo does not autoscale."
  }

  assert {
    condition     = !aws_db_instance.main.deletion_protection && aws_db_instance.main.skip_final_snapshot
    error_message = "demo's database can be destroyed without a final snapshot."
  }

  assert {
    condition     = alltrue([for group in aws_cloudwatch_log_group.service : group.retention_in_days == var.log_retention_days])
    error_message = "Every log group keeps log_retention_days."
  }

  assert {
    condition     = one([for setting in aws_ecs_cluster.main.setting : setting.value if setting.name == "containerInsights"]) == "disabled"
    error_message = "demo has Container Insights off."
  }
}
