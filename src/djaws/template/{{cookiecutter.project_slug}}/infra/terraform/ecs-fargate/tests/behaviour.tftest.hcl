# terraform test -var-file=envs/demo.tfvars -filter=tests/behaviour.tftest.hcl  (make infra-test)
# Logic that does not depend on the environment: HTTPS only with a certificate, path routing,
# deployment safety, encryption. The mock fills computed values in at plan time, so conditions on
# them (the site URL) can be checked without an apply.

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

run "plain_http_without_a_certificate" {
  command = plan

  variables {
    certificate_arn = ""
  }

  assert {
    condition     = length(aws_lb_listener.https) == 0 && aws_lb_listener.http.default_action[0].type == "forward"
    error_message = "Without a certificate the HTTP listener serves the site (forced HTTPS without one makes the site unreachable)."
  }

  assert {
    condition     = startswith(output.site_url, "http://") && output.app_settings.SERVED_OVER_HTTPS == "false"
    error_message = "Without a certificate the site URL is http:// and the backend is not told otherwise."
  }
}

run "https_and_redirect_with_a_certificate" {
  command = plan

  variables {
    domain_name     = "shop.example.com"
    certificate_arn = "arn:aws:acm:ap-northeast-2:123456789012:certificate/0f0f0f0f-1111-2222-3333-444444444444"
  }

  assert {
    condition     = length(aws_lb_listener.https) == 1 && aws_lb_listener.https[0].port == 443
    error_message = "A certificate adds the HTTPS listener."
  }

  assert {
    condition     = aws_lb_listener.http.default_action[0].type == "redirect" && aws_lb_listener.http.default_action[0].redirect[0].protocol == "HTTPS"
    error_message = "With a certificate HTTP redirects to HTTPS."
  }

  assert {
    condition     = output.site_url == "https://shop.example.com"
    error_message = "With a certificate and a domain the site URL is https://domain."
  }

  assert {
    condition     = output.app_settings.SERVED_OVER_HTTPS == "true" && output.app_settings.CSRF_TRUSTED_ORIGINS == "https://shop.example.com,http://mock-alb-123.ap-northeast-2.elb.amazonaws.com"
    error_message = "The backend is told it is served over HTTPS."
  }
}

run "paths_route_to_their_processes" {
  command = plan

  variables {
    enable_frontend  = true
    enable_websocket = true
  }

  assert {
    condition     = toset(flatten([for condition in aws_lb_listener_rule.api.condition : [for pattern in condition.path_pattern : pattern.values]])) == toset(["/api/*"])
    error_message = "/api/* goes to the backend."
  }

  assert {
    condition     = length(aws_lb_listener_rule.websocket) == 1 && toset(flatten([for condition in aws_lb_listener_rule.websocket[0].condition : [for pattern in condition.path_pattern : pattern.values]])) == toset(["/ws/*"])
    error_message = "/ws/* goes to the websocket target group."
  }

  assert {
    condition     = aws_lb_target_group.backend.health_check[0].path == "/api/health/" && aws_lb_target_group.frontend[0].health_check[0].path == "/"
    error_message = "Health checks: backend /api/health/, frontend /."
  }
}

run "without_frontend_the_backend_serves_everything" {
  command = plan

  variables {
    enable_frontend  = false
    enable_websocket = false
    enable_celery    = false
  }

  assert {
    condition     = length(aws_lb_target_group.frontend) == 0 && length(aws_lb_listener_rule.websocket) == 0
    error_message = "No frontend and no websocket: no target groups or rules for them."
  }

  assert {
    condition     = toset(keys(aws_ecs_service.service)) == toset(["web"])
    error_message = "Only the web service runs without frontend, websocket and Celery."
  }
}

run "services_roll_back_and_leave_revisions_to_ci" {
  command = plan

  assert {
    condition     = alltrue([for service in aws_ecs_service.service : service.deployment_circuit_breaker[0].enable && service.deployment_circuit_breaker[0].rollback])
    error_message = "Every service has the deployment circuit breaker with rollback."
  }

  assert {
    condition     = alltrue([for service in aws_ecs_service.service : service.enable_execute_command])
    error_message = "ECS Exec is on for every service."
  }

  assert {
    condition     = aws_db_instance.main.manage_master_user_password && aws_db_instance.main.storage_encrypted
    error_message = "RDS manages the master password in Secrets Manager and encrypts storage."
  }

  assert {
    condition     = aws_elasticache_replication_group.main.transit_encryption_enabled && aws_elasticache_replication_group.main.at_rest_encryption_enabled
    error_message = "Redis is encrypted in transit and at rest."
  }
}

run "nat_only_where_asked" {
  command = plan

  variables {
    enable_nat_gateway = true
  }

  assert {
    condition     = length(aws_nat_gateway.main) == 1 && !aws_ecs_service.service["web"].network_configuration[0].assign_public_ip
    error_message = "Asking for NAT puts tasks in private subnets behind one NAT gateway."
  }
}
