# terraform test -var-file=envs/demo.tfvars -filter=tests/demo.tftest.hcl  (make infra-test)
# Offline: the AWS provider is mocked, so these check what the plan asks AWS for.

mock_provider "aws" {
  source = "./tests/mocks"
}

run "demo_is_small_public_and_destroyable" {
  command = plan

  assert {
    condition     = aws_db_instance.main.instance_class == "db.t3.micro" && aws_db_instance.main.backup_retention_period == 1
    error_message = "demo runs db.t3.micro with one day of backups."
  }

  assert {
    condition     = aws_elasticache_replication_group.main.node_type == "cache.t3.micro"
    error_message = "demo runs cache.t3.micro."
  }

  assert {
    condition     = aws_ecs_task_definition.service["web"].cpu == "256" && aws_ecs_task_definition.service["web"].memory == "512" && output.service_desired_counts["web"] == 1 && aws_ecs_service.service["web"].desired_count == 0
    error_message = "demo's web service is 0.25 vCPU / 512 MiB x 1, created with zero tasks until the first ops deploy."
  }

  assert {
    condition     = length(aws_nat_gateway.main) == 0 && aws_ecs_service.service["web"].network_configuration[0].assign_public_ip
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
    condition     = alltrue([for group in aws_cloudwatch_log_group.service : group.retention_in_days == 7])
    error_message = "demo keeps logs for 7 days."
  }

  assert {
    condition     = one([for setting in aws_ecs_cluster.main.setting : setting.value if setting.name == "containerInsights"]) == "disabled"
    error_message = "demo has Container Insights off."
  }
}
