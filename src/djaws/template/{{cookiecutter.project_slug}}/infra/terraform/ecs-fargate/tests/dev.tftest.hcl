# terraform test -var-file=envs/dev.tfvars -filter=tests/dev.tftest.hcl  (make infra-test)

mock_provider "aws" {
  source = "./tests/mocks"
}

run "dev_is_demo_sized_with_longer_retention" {
  command = plan

  assert {
    condition     = aws_db_instance.main.instance_class == var.db_instance_class && aws_db_instance.main.backup_retention_period == var.db_backup_retention_days
    error_message = "The database takes its class and backup days from the tfvars."
  }

  assert {
    condition     = keys(aws_ecs_service.service) == ["app"] && one(aws_ecs_service.service["app"].capacity_provider_strategy).capacity_provider == "FARGATE_SPOT" && length(aws_elasticache_replication_group.main) == 0
    error_message = "dev shares demo's profile: one packed task on Fargate Spot with Redis in it."
  }

  assert {
    condition     = length(module.network.nat_gateway_ids) == 0 && length(aws_appautoscaling_target.service) == 0
    error_message = "dev has neither a NAT gateway nor autoscaling."
  }

  assert {
    condition     = alltrue([for group in aws_cloudwatch_log_group.service : group.retention_in_days == var.log_retention_days])
    error_message = "Every log group keeps log_retention_days."
  }

  assert {
    condition     = !aws_db_instance.main.deletion_protection
    error_message = "dev's database is not deletion-protected."
  }
}
