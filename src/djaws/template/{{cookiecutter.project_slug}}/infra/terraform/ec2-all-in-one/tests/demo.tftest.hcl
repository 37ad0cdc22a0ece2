# terraform test -var-file=envs/demo.tfvars -filter=tests/demo.tftest.hcl  (make infra-test)
# Offline: the AWS provider is mocked, so these check what the plan asks AWS for.

mock_provider "aws" {
  source = "./tests/mocks"
}

run "demo_is_one_small_destroyable_host" {
  command = plan

  assert {
    condition     = aws_instance.host.instance_type == "t3.micro" && !aws_instance.host.disable_api_termination
    error_message = "demo runs one t3.micro without termination protection."
  }

  assert {
    condition     = alltrue([for group in aws_cloudwatch_log_group.service : group.retention_in_days == 7])
    error_message = "demo keeps logs for 7 days."
  }

  assert {
    condition     = aws_secretsmanager_secret.db_password.recovery_window_in_days == 0
    error_message = "demo's secrets can be recreated right after destroy."
  }
}
