# The project's own VPC, so nothing else shares its security boundary: public subnets with a route
# to the internet gateway in `zone_count` availability zones, and private subnets beside them when
# something (a database, a cache, tasks behind NAT) must not be reachable from outside.

data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:Subnets keep the zone they were created in; a changed zone list shows up as a plan diff, never silently.
  state = "available"
}

locals {
  availability_zones = slice(data.aws_availability_zones.available.names, 0, var.zone_count)
  # /24 subnets: public ones from index 0, private ones from index 10.
  subnet_newbits = 24 - tonumber(split("/", var.cidr_block)[1])
}

resource "aws_vpc" "main" {
  cidr_block           = var.cidr_block
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = { Name = var.name }
}

# Take every rule off the VPC's default security group so nothing can use it by accident.
resource "aws_default_security_group" "default" {
  vpc_id = aws_vpc.main.id
}

resource "aws_subnet" "public" {
  count = length(local.availability_zones)

  vpc_id            = aws_vpc.main.id
  availability_zone = local.availability_zones[count.index]
  cidr_block        = cidrsubnet(var.cidr_block, local.subnet_newbits, count.index)
  # Whatever needs a public address gets one explicitly (an Elastic IP, an ECS service setting).
  map_public_ip_on_launch = false

  tags = { Name = "${var.name}-public-${local.availability_zones[count.index]}", Tier = "public" }
}

resource "aws_subnet" "private" {
  count = var.private_subnets ? length(local.availability_zones) : 0

  vpc_id            = aws_vpc.main.id
  availability_zone = local.availability_zones[count.index]
  cidr_block        = cidrsubnet(var.cidr_block, local.subnet_newbits, count.index + 10)

  tags = { Name = "${var.name}-private-${local.availability_zones[count.index]}", Tier = "private" }
}

resource "aws_internet_gateway" "main" {
  vpc_id = aws_vpc.main.id

  tags = { Name = var.name }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id

  tags = { Name = "${var.name}-public" }
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.main.id
}

resource "aws_route_table_association" "public" {
  count = length(aws_subnet.public)

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table" "private" {
  count = var.private_subnets ? 1 : 0

  vpc_id = aws_vpc.main.id

  tags = { Name = "${var.name}-private" }
}

resource "aws_route_table_association" "private" {
  count = length(aws_subnet.private)

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[0].id
}

# S3 traffic (media, image layers from ECR) stays on AWS's network and skips any NAT gateway:
# gateway endpoints are free.
resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.main.id
  service_name      = "com.amazonaws.${var.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = concat([aws_route_table.public.id], aws_route_table.private[*].id)

  tags = { Name = "${var.name}-s3" }
}
