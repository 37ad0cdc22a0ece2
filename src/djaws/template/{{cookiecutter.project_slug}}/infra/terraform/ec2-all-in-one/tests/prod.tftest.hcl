# terraform test -var-file=envs/prod.tfvars -filter=tests/prod.tftest.hcl  (make infra-test)

mock_provider "aws" {
  source = "./tests/mocks"
}

run "prod_host_is_protected" {
  command = plan

  assert {
    condition     = aws_instance.host.disable_api_termination
    error_message = "prod's host is termination-protected."
  }

  assert {
    condition     = module.django_secret_key.recovery_window_in_days == 30
    error_message = "prod's secrets can be recovered for 30 days after deletion."
  }

  assert {
    condition     = alltrue([for group in aws_cloudwatch_log_group.service : group.retention_in_days == var.log_retention_days])
    error_message = "every log group keeps logs for the environment's log_retention_days."
  }

  assert {
    condition     = length(module.network.flow_log_ids) == 1
    error_message = "prod records rejected VPC traffic."
  }
}
