output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.main.id
}

output "public_subnet_ids" {
  description = "Public subnets, one per zone, in zone order."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private subnets, one per zone, in zone order (empty without private_subnets)."
  value       = aws_subnet.private[*].id
}

output "nat_gateway_ids" {
  description = "The NAT gateway, when there is one."
  value       = aws_nat_gateway.main[*].id
}

output "flow_log_ids" {
  description = "The VPC's flow log, when flow logs are on."
  value       = aws_flow_log.vpc[*].id
}
