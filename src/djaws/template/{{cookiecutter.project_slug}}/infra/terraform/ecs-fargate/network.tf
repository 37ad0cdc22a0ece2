# Two availability zones, a public and a private subnet in each. The ALB lives in the public
# subnets; RDS and Redis in the private ones. Tasks run in the public subnets with public IPs when
# there is no NAT gateway (demo/dev), and in the private subnets behind one NAT gateway otherwise.

module "network" {
  source = "../modules/network"

  name               = local.names.vpc
  cidr_block         = var.vpc_cidr
  region             = var.aws_region
  account_id         = local.account_id
  zone_count         = 2
  private_subnets    = true
  enable_nat_gateway = var.enable_nat_gateway
  flow_logs = {
    enabled        = var.enable_flow_logs
    log_group_name = "${local.names.log_group_prefix}/vpc-flow-logs"
    role_name      = local.names.iam_flow_logs_role
    retention_days = var.log_retention_days
  }
}
