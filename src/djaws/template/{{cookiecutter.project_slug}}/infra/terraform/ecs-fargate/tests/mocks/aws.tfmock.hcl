# Values the mocked AWS provider returns for resources only this target has (shared.tfmock.hcl has the rest).

# The record ACM asks for, for the domain the behaviour tests use.
mock_resource "aws_acm_certificate" {
  defaults = {
    arn = "arn:aws:acm:ap-northeast-2:123456789012:certificate/mock"
    domain_validation_options = [
      {
        domain_name           = "shop.example.com"
        resource_record_name  = "_0123456789abcdef.shop.example.com."
        resource_record_type  = "CNAME"
        resource_record_value = "_fedcba9876543210.acm-validations.aws."
      },
    ]
  }
}

mock_resource "aws_acm_certificate_validation" {
  defaults = {
    certificate_arn = "arn:aws:acm:ap-northeast-2:123456789012:certificate/mock"
  }
}

mock_resource "aws_elasticache_replication_group" {
  defaults = {
    member_clusters = ["mock-redis-002", "mock-redis-001"]
  }
}
