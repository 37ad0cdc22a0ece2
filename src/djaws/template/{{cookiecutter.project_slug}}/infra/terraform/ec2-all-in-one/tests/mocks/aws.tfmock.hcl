# Values the mocked AWS provider returns for resources only this target has (shared.tfmock.hcl has the rest).

mock_data "aws_ssm_parameter" {
  defaults = {
    insecure_value = "ami-0123456789abcdef0"
  }
}

mock_resource "aws_instance" {
  defaults = {
    id = "i-0123456789abcdef0"
  }
}
