# The host answers on 80 and 443 only (behind Cloudflare, to Cloudflare's edge ranges only). No SSH unless ssh_ingress_cidrs names a range: shell access
# goes through SSM Session Manager, which needs no inbound port.

resource "aws_security_group" "host" {
  name        = local.names.security_group_host
  description = "All-in-one host: HTTP and HTTPS in, HTTP and HTTPS out"
  vpc_id      = module.network.vpc_id

  tags = { Name = local.names.security_group_host }
}

resource "aws_vpc_security_group_ingress_rule" "http" {
  #checkov:skip=CKV_AWS_260:A public website answers on port 80 (nginx redirects to HTTPS once a certificate is installed).
  for_each = toset(local.web_ingress_cidrs)

  security_group_id = aws_security_group.host.id
  description       = "HTTP"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_ingress_rule" "https" {
  for_each = toset(local.web_ingress_cidrs)

  security_group_id = aws_security_group.host.id
  description       = "HTTPS"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_ingress_rule" "ssh" {
  for_each = toset(var.ssh_ingress_cidrs)

  security_group_id = aws_security_group.host.id
  description       = "SSH from an allowed range"
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_ipv4         = each.value
}

# Packages, image registries (ECR, Docker Hub), AWS APIs and SSM all speak HTTP(S).
resource "aws_vpc_security_group_egress_rule" "outbound" {
  for_each = { http = 80, https = 443 }

  security_group_id = aws_security_group.host.id
  description       = "${upper(each.key)} to package mirrors, registries and AWS APIs"
  ip_protocol       = "tcp"
  from_port         = each.value
  to_port           = each.value
  cidr_ipv4         = "0.0.0.0/0"
}
