# One internet-facing ALB routes by path: /api/* to the backend, /ws/* to the websocket process,
# everything else to the frontend (or the backend when there is no frontend). HTTPS only with an
# issued certificate (certificate.tf): redirecting to HTTPS without one makes the site unreachable.

resource "aws_lb" "main" {
  #checkov:skip=CKV_AWS_91:Access logs need an extra bucket and bucket policy per environment; app logs carry every request.
  #checkov:skip=CKV2_AWS_28:AWS WAF costs at least $5/month plus per rule; add a web ACL when a client needs one.
  #checkov:skip=CKV_AWS_150:Deletion protection follows var.deletion_protection (prod); demo stacks must be destroyable.
  name               = local.names.alb
  load_balancer_type = "application"
  internal           = false
  security_groups    = [aws_security_group.alb.id]
  subnets            = module.network.public_subnet_ids

  # Long enough for websocket connections that are quiet for a while.
  idle_timeout               = var.enable_websocket ? var.websocket_idle_timeout_seconds : 60
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
}

# One target group per load-balanced process (locals.tf), on its port and health-check path.
resource "aws_lb_target_group" "process" {
  #checkov:skip=CKV_AWS_378:TLS ends at the load balancer; traffic to the tasks stays inside the VPC.
  for_each = local.load_balanced

  name                 = local.names["target_group_${each.key}"]
  port                 = each.value.port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = module.network.vpc_id
  deregistration_delay = var.deregistration_delay_seconds

  health_check {
    path                = each.value.health_check_path
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

moved {
  from = aws_lb_target_group.backend
  to   = aws_lb_target_group.process["web"]
}

moved {
  from = aws_lb_target_group.websocket[0]
  to   = aws_lb_target_group.process["websocket"]
}

moved {
  from = aws_lb_target_group.frontend[0]
  to   = aws_lb_target_group.process["frontend"]
}

locals {
  default_target_group_arn = aws_lb_target_group.process[var.enable_frontend ? "frontend" : "web"].arn
  # Path rules go on the listener that serves the site: HTTPS when there is a certificate.
  serving_listener_arn = local.https_enabled ? aws_lb_listener.https[0].arn : aws_lb_listener.http.arn
}

resource "aws_lb_listener" "http" {
  #checkov:skip=CKV_AWS_2:Plain HTTP is the listener only when no certificate is given; with one, this listener redirects to HTTPS.
  #checkov:skip=CKV_AWS_103:TLS policy applies to the HTTPS listener; this one is plain HTTP or a redirect.
  #checkov:skip=CKV2_AWS_20:Redirects to HTTPS exactly when an issued certificate is served; a demo without one must stay reachable.
  load_balancer_arn = aws_lb.main.arn
  port              = 80
  protocol          = "HTTP"

  # The redirect switches on after the HTTPS listener exists, never before.
  depends_on = [aws_lb_listener.https]

  default_action {
    type             = local.https_enabled ? "redirect" : "forward"
    target_group_arn = local.https_enabled ? null : local.default_target_group_arn

    dynamic "redirect" {
      for_each = local.https_enabled ? [1] : []

      content {
        protocol    = "HTTPS"
        port        = "443"
        status_code = "HTTP_301"
      }
    }
  }
}

resource "aws_lb_listener" "https" {
  count = local.https_enabled ? 1 : 0

  load_balancer_arn = aws_lb.main.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = local.serving_certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = local.default_target_group_arn
  }
}

resource "aws_lb_listener_rule" "api" {
  listener_arn = local.serving_listener_arn
  priority     = 10

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.process["web"].arn
  }

  condition {
    path_pattern {
      values = ["/api/*"]
    }
  }
}

resource "aws_lb_listener_rule" "websocket" {
  count = var.enable_websocket ? 1 : 0

  listener_arn = local.serving_listener_arn
  priority     = 20

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.process["websocket"].arn
  }

  condition {
    path_pattern {
      values = ["/ws/*"]
    }
  }
}
