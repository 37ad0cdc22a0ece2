# terraform test -var-file=envs/stg.tfvars -filter=tests/stg.tftest.hcl  (make infra-test)

mock_provider "aws" {
  source = "./tests/mocks"
}

run "stg_has_production_shape" {
  command = plan

  assert {
    condition     = length(module.network.nat_gateway_ids) == 1
    error_message = "stg runs tasks behind one NAT gateway."
  }

  assert {
    condition     = !aws_ecs_service.service["web"].network_configuration[0].assign_public_ip
    error_message = "stg tasks get no public IPs."
  }

  assert {
    condition     = contains(keys(aws_appautoscaling_target.service), "web") && !contains(keys(aws_appautoscaling_target.service), "beat")
    error_message = "stg autoscales web but never beat."
  }

  assert {
    condition     = aws_db_instance.main.backup_retention_period == 7
    error_message = "stg keeps a week of backups."
  }

  assert {
    condition     = alltrue([for group in aws_cloudwatch_log_group.service : group.retention_in_days == var.log_retention_days])
    error_message = "Every log group keeps log_retention_days."
  }

  assert {
    condition     = length(module.network.flow_log_ids) == 1
    error_message = "stg records rejected VPC traffic."
  }
}
