# terraform test -var-file=envs/demo.tfvars -filter=tests/demo.tftest.hcl  (make infra-test)
# Offline: the AWS provider is mocked, so these check what the plan asks AWS for.

mock_provider "aws" {
  source = "./tests/mocks"
}

run "demo_is_one_small_destroyable_host" {
  command = plan

  assert {
    condition     = !aws_instance.host.disable_api_termination
    error_message = "demo's host can be terminated: demo is destroyable at any time."
  }

  assert {
    condition     = alltrue([for group in aws_cloudwatch_log_group.service : group.retention_in_days == var.log_retention_days])
    error_message = "every log group keeps logs for the environment's log_retention_days."
  }

  assert {
    condition     = module.db_password.recovery_window_in_days == 0
    error_message = "demo's secrets can be recreated right after destroy."
  }
}
