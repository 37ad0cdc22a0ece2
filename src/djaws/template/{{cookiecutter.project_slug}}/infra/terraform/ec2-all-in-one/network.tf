# One public subnet is all a single host needs; the VPC is the project's own so nothing else
# shares its security boundary.

module "network" {
  source = "../modules/network"

  name               = local.names.vpc
  cidr_block         = var.vpc_cidr
  region             = var.aws_region
  account_id         = local.account_id
  zone_count         = 1
  private_subnets    = false
  enable_nat_gateway = false
  flow_logs = {
    enabled        = var.enable_flow_logs
    log_group_name = "${local.names.log_group_prefix}/vpc-flow-logs"
    role_name      = local.names.iam_flow_logs_role
    retention_days = var.log_retention_days
  }
}
