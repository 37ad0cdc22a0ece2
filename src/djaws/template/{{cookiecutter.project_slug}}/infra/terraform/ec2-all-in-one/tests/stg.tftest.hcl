# terraform test -var-file=envs/stg.tfvars -filter=tests/stg.tftest.hcl  (make infra-test)

mock_provider "aws" {
  source = "./tests/mocks"
}

run "stg_is_a_small_host" {
  command = plan

  assert {
    condition     = !aws_instance.host.disable_api_termination
    error_message = "stg's host has no termination protection."
  }

  assert {
    condition     = alltrue([for group in aws_cloudwatch_log_group.service : group.retention_in_days == var.log_retention_days])
    error_message = "every log group keeps logs for the environment's log_retention_days."
  }
}
