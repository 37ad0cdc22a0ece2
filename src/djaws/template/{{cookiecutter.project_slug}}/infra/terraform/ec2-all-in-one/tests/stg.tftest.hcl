# terraform test -var-file=envs/stg.tfvars -filter=tests/stg.tftest.hcl  (make infra-test)

mock_provider "aws" {
  source = "./tests/mocks"
}

run "stg_is_a_small_host" {
  command = plan

  assert {
    condition     = aws_instance.host.instance_type == "t3.small" && !aws_instance.host.disable_api_termination
    error_message = "stg runs one t3.small without termination protection."
  }

  assert {
    condition     = alltrue([for group in aws_cloudwatch_log_group.service : group.retention_in_days == 30])
    error_message = "stg keeps logs for 30 days."
  }
}
