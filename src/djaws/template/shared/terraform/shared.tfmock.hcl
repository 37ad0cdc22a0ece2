# Values the mocked AWS provider returns where random ones would not do, for the resources and data
# sources every deployment target has; each target's own are in aws.tfmock.hcl beside this file.

mock_data "aws_availability_zones" {
  defaults = {
    names = ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"]
  }
}

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "123456789012"
  }
}

mock_data "aws_partition" {
  defaults = {
    partition = "aws"
  }
}

mock_resource "aws_db_instance" {
  defaults = {
    address = "db.example.internal"
    port    = 5432
    master_user_secret = [
      { secret_arn = "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:rds-master-AbCdEf", kms_key_id = "", secret_status = "active" },
    ]
  }
}

mock_resource "aws_lb" {
  defaults = {
    arn        = "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/app/mock-alb/0123456789abcdef"
    arn_suffix = "app/mock-alb/0123456789abcdef"
    dns_name   = "mock-alb-123.ap-northeast-2.elb.amazonaws.com"
  }
}

mock_resource "aws_ecr_repository" {
  defaults = {
    arn            = "arn:aws:ecr:ap-northeast-2:123456789012:repository/mock"
    repository_url = "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/mock"
  }
}

mock_resource "aws_eip" {
  defaults = {
    public_ip  = "203.0.113.10"
    public_dns = "ec2-203-0-113-10.ap-northeast-2.compute.amazonaws.com"
  }
}

# The provider validates ARNs it is handed, so every ARN a resource passes on must look like one.

mock_resource "aws_lb_target_group" {
  defaults = {
    arn        = "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/mock/0123456789abcdef"
    arn_suffix = "targetgroup/mock/0123456789abcdef"
  }
}

mock_resource "aws_lb_listener" {
  defaults = {
    arn = "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:listener/app/mock-alb/0123456789abcdef/0123456789abcdef"
  }
}

mock_resource "aws_sns_topic" {
  defaults = {
    arn = "arn:aws:sns:ap-northeast-2:123456789012:mock-alarms"
  }
}

mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::123456789012:role/mock"
  }
}

mock_resource "aws_secretsmanager_secret" {
  defaults = {
    arn = "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:mock-AbCdEf"
  }
}

mock_resource "aws_ecs_cluster" {
  defaults = {
    arn = "arn:aws:ecs:ap-northeast-2:123456789012:cluster/mock"
  }
}

mock_resource "aws_ecs_task_definition" {
  defaults = {
    arn = "arn:aws:ecs:ap-northeast-2:123456789012:task-definition/mock:1"
  }
}

mock_resource "aws_s3_bucket" {
  defaults = {
    arn = "arn:aws:s3:::mock-bucket"
  }
}

mock_resource "aws_cloudwatch_log_group" {
  defaults = {
    arn = "arn:aws:logs:ap-northeast-2:123456789012:log-group:/mock"
  }
}

mock_resource "aws_iam_instance_profile" {
  defaults = {
    arn = "arn:aws:iam::123456789012:instance-profile/mock"
  }
}

mock_resource "aws_iam_openid_connect_provider" {
  defaults = {
    arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
  }
}

mock_resource "aws_cloudwatch_metric_alarm" {
  defaults = {
    arn = "arn:aws:cloudwatch:ap-northeast-2:123456789012:alarm:mock"
  }
}
