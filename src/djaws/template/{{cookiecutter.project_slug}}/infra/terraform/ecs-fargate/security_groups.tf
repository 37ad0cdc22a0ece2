# ALB: 80/443 from anywhere. App: only from the ALB. Database and Redis: only from the app. Redis
# as a container (var.redis) listens on the task's localhost and has no security group.
# Rules are separate resources so each one carries its own description.

locals {
  # Ports of the load-balanced processes (locals.tf).
  alb_target_ports = { for name, process in local.load_balanced : name => process.port }
}

resource "aws_security_group" "alb" {
  name        = local.names.security_group_alb
  description = "Load balancer: HTTP and HTTPS from the internet"
  vpc_id      = module.network.vpc_id

  tags = { Name = local.names.security_group_alb }
}

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  #checkov:skip=CKV_AWS_260:A public website: port 80 answers (and redirects to HTTPS when a certificate is configured).
  security_group_id = aws_security_group.alb.id
  description       = "HTTP from anywhere"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from anywhere"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "alb_to_app" {
  for_each = local.alb_target_ports

  security_group_id            = aws_security_group.alb.id
  description                  = "To the ${each.key} containers"
  ip_protocol                  = "tcp"
  from_port                    = each.value
  to_port                      = each.value
  referenced_security_group_id = aws_security_group.app.id
}

resource "aws_security_group" "app" {
  name        = local.names.security_group_app
  description = "ECS tasks: traffic only from the load balancer"
  vpc_id      = module.network.vpc_id

  tags = { Name = local.names.security_group_app }
}

resource "aws_vpc_security_group_ingress_rule" "app_from_alb" {
  for_each = local.alb_target_ports

  security_group_id            = aws_security_group.app.id
  description                  = "${each.key} from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = each.value
  to_port                      = each.value
  referenced_security_group_id = aws_security_group.alb.id
}

resource "aws_vpc_security_group_egress_rule" "app_https" {
  security_group_id = aws_security_group.app.id
  description       = "HTTPS to AWS APIs (ECR, S3, Secrets Manager, CloudWatch) and external services"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "app_to_db" {
  security_group_id            = aws_security_group.app.id
  description                  = "PostgreSQL"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.db.id
}

resource "aws_vpc_security_group_egress_rule" "app_to_redis" {
  count = local.redis_container ? 0 : 1

  security_group_id            = aws_security_group.app.id
  description                  = "Redis"
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  referenced_security_group_id = aws_security_group.redis[0].id
}

resource "aws_security_group" "db" {
  name        = local.names.security_group_db
  description = "PostgreSQL: only from the app"
  vpc_id      = module.network.vpc_id

  tags = { Name = local.names.security_group_db }
}

resource "aws_vpc_security_group_ingress_rule" "db_from_app" {
  security_group_id            = aws_security_group.db.id
  description                  = "PostgreSQL from the app"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.app.id
}

resource "aws_security_group" "redis" {
  count = local.redis_container ? 0 : 1

  name        = local.names.security_group_redis
  description = "Redis: only from the app"
  vpc_id      = module.network.vpc_id

  tags = { Name = local.names.security_group_redis }
}

resource "aws_vpc_security_group_ingress_rule" "redis_from_app" {
  count = local.redis_container ? 0 : 1

  security_group_id            = aws_security_group.redis[0].id
  description                  = "Redis from the app"
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  referenced_security_group_id = aws_security_group.app.id
}

moved {
  from = aws_security_group.redis
  to   = aws_security_group.redis[0]
}

moved {
  from = aws_vpc_security_group_ingress_rule.redis_from_app
  to   = aws_vpc_security_group_ingress_rule.redis_from_app[0]
}

moved {
  from = aws_vpc_security_group_egress_rule.app_to_redis
  to   = aws_vpc_security_group_egress_rule.app_to_redis[0]
}
