variable "name" {
  description = "Name of the VPC (from infra/names.json); subnets, route tables and gateways are named after it."
  type        = string
}

variable "cidr_block" {
  description = "CIDR block of the VPC; subnets are /24s carved from it."
  type        = string

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && tonumber(split("/", var.cidr_block)[1]) <= 20
    error_message = "cidr_block must be a valid CIDR block of /20 or larger."
  }
}

variable "region" {
  description = "AWS region of the VPC, for the S3 gateway endpoint's service name."
  type        = string
}

variable "account_id" {
  description = "AWS account the VPC is in; only its flow-log service may assume the flow-log role."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account id."
  }
}

variable "zone_count" {
  description = "Availability zones to spread subnets over: 1 for a single host, 2 for a load balancer and a database subnet group (both need two)."
  type        = number

  validation {
    condition     = contains([1, 2, 3], var.zone_count)
    error_message = "zone_count must be 1, 2 or 3."
  }
}

variable "private_subnets" {
  description = "Create a private subnet in each zone (no route from the internet) for databases, caches and tasks behind NAT."
  type        = bool
}

variable "enable_nat_gateway" {
  description = "One NAT gateway in the first public subnet, the private subnets' way out to the internet."
  type        = bool

  validation {
    condition     = !var.enable_nat_gateway || var.private_subnets
    error_message = "enable_nat_gateway needs private_subnets: a NAT gateway routes the private subnets' traffic."
  }
}

variable "flow_logs" {
  description = "VPC flow logs of rejected traffic: whether to send them, the log group and IAM role names, and the retention."
  type = object({
    enabled        = bool
    log_group_name = string
    role_name      = string
    retention_days = number
  })
}
