# terraform test -var-file=envs/demo.tfvars -filter=tests/monitoring.tftest.hcl  (make infra-test)
# The dashboard, the alarms, the saved queries and the budget: what each watches and whom it tells.

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

# One service per process and managed Redis: every per-service and Redis widget (the packed demo
# layout has its own run at the end).
variables {
  enable_frontend   = true
  enable_websocket  = true
  enable_celery     = true
  task_layout       = "per-process"
  redis             = "elasticache"
  capacity_provider = "FARGATE"
}

run "dashboard_shows_traffic_services_and_data_stores" {
  command = plan

  assert {
    condition = toset([for widget in jsondecode(aws_cloudwatch_dashboard.main.dashboard_body).widgets : widget.properties.title]) == toset([
      "Requests (per minute)", "5xx responses (per minute)", "Response time (seconds)", "Alarms", "CPU per service (%)",
      "Memory per service (%)", "Database CPU (%) and connections", "Database free storage (GiB)", "Redis CPU and memory (%)",
      "Redis connections", "Latest errors",
    ])
    error_message = "The dashboard has requests, 5xx, latency, alarms, CPU and memory per service, the database, Redis and errors."
  }

  assert {
    condition = alltrue([
      for widget in jsondecode(aws_cloudwatch_dashboard.main.dashboard_body).widgets :
      widget.x + widget.width <= 24 && widget.x >= 0 && widget.y >= 0
    ])
    error_message = "Every widget fits the dashboard's 24 columns."
  }

  assert {
    condition = toset([
      for metric in one([for widget in jsondecode(aws_cloudwatch_dashboard.main.dashboard_body).widgets : widget.properties.metrics if widget.properties.title == "CPU per service (%)"]) :
      metric[5]
    ]) == toset([for service in ["web", "websocket", "frontend", "worker", "beat"] : aws_ecs_service.service[service].name])
    error_message = "The CPU widget has one line per ECS service, named as the services are."
  }

  assert {
    condition = one([for widget in jsondecode(aws_cloudwatch_dashboard.main.dashboard_body).widgets : widget.properties.metrics if widget.properties.title == "Requests (per minute)"])[0] == [
      "AWS/ApplicationELB", "RequestCount", "LoadBalancer", "app/mock-alb/0123456789abcdef", { label = "requests" }
    ]
    error_message = "Requests are counted at this load balancer (its ARN suffix)."
  }

  assert {
    condition = [
      for metric in one([for widget in jsondecode(aws_cloudwatch_dashboard.main.dashboard_body).widgets : widget.properties.metrics if widget.properties.title == "Database CPU (%) and connections"]) :
      slice(metric, 0, 4)
    ] == [["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", aws_db_instance.main.identifier], ["AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", aws_db_instance.main.identifier]]
    error_message = "The database widget reads this RDS instance's CPU and connections."
  }

  assert {
    condition = toset([
      for metric in one([for widget in jsondecode(aws_cloudwatch_dashboard.main.dashboard_body).widgets : widget.properties.metrics if widget.properties.title == "Redis connections"]) :
      metric[3]
    ]) == toset(["mock-redis-001", "mock-redis-002"])
    error_message = "The Redis widgets have a line per node of the replication group."
  }

  assert {
    condition     = output.dashboard_url == "https://${var.aws_region}.console.aws.amazon.com/cloudwatch/home?region=${var.aws_region}#dashboards/dashboard/${aws_cloudwatch_dashboard.main.dashboard_name}"
    error_message = "dashboard_url opens this environment's dashboard."
  }
}

run "latency_and_connection_alarms_use_the_thresholds" {
  command = plan

  variables {
    alarm_p95_latency_seconds = 2.5
    alarm_db_connections      = 70
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.latency_p95.metric_name == "TargetResponseTime" && aws_cloudwatch_metric_alarm.latency_p95.extended_statistic == "p95" && aws_cloudwatch_metric_alarm.latency_p95.threshold == 2.5 && aws_cloudwatch_metric_alarm.latency_p95.period == 300
    error_message = "The latency alarm watches the p95 of TargetResponseTime over five minutes against alarm_p95_latency_seconds."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.latency_p95.dimensions == tomap({ LoadBalancer = "app/mock-alb/0123456789abcdef" })
    error_message = "The latency alarm watches this load balancer."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.db_connections.metric_name == "DatabaseConnections" && aws_cloudwatch_metric_alarm.db_connections.threshold == 70 && aws_cloudwatch_metric_alarm.db_connections.dimensions.DBInstanceIdentifier == aws_db_instance.main.identifier
    error_message = "The connections alarm watches this database against alarm_db_connections."
  }

  assert {
    condition = alltrue([
      for alarm in concat(
        [
          aws_cloudwatch_metric_alarm.alb_5xx, aws_cloudwatch_metric_alarm.target_5xx, aws_cloudwatch_metric_alarm.latency_p95,
          aws_cloudwatch_metric_alarm.db_cpu, aws_cloudwatch_metric_alarm.db_connections, aws_cloudwatch_metric_alarm.db_free_storage,
        ],
        values(aws_cloudwatch_metric_alarm.unhealthy_hosts), values(aws_cloudwatch_metric_alarm.service_cpu), values(aws_cloudwatch_metric_alarm.service_memory),
      ) : alarm.alarm_actions == toset([module.alarm_topic.arn]) && alarm.ok_actions == toset([module.alarm_topic.arn])
    ])
    error_message = "Every alarm tells the alarm topic when it fires and when it clears."
  }

  assert {
    condition     = length(jsondecode(aws_cloudwatch_dashboard.main.dashboard_body).widgets[3].properties.alarms) == 6 + 3 + 5 + 5
    error_message = "The alarms widget shows every alarm (6 single ones, unhealthy hosts per load-balanced service, CPU and memory per service)."
  }
}

run "saved_queries_read_the_backend_logs" {
  command = plan

  assert {
    condition     = toset(keys(output.log_query_names)) == toset(["errors", "slow-requests-by-path", "5xx-by-path"]) && alltrue([for name in values(output.log_query_names) : startswith(name, "${aws_cloudwatch_dashboard.main.dashboard_name}/")])
    error_message = "Errors, slow requests by path and 5xx by path are saved in the dashboard's folder."
  }

  assert {
    condition     = toset(module.log_queries.log_groups.errors) == toset([for service in ["web", "websocket", "worker", "beat"] : aws_cloudwatch_log_group.service[service].name])
    error_message = "The errors query reads every Django process's log group (not the frontend's text lines)."
  }

  assert {
    condition     = jsonencode(module.log_queries.log_groups["slow-requests-by-path"]) == jsonencode([aws_cloudwatch_log_group.service["web"].name]) && strcontains(module.log_queries.query_strings["slow-requests-by-path"], "pct(duration_ms, 95)") && strcontains(module.log_queries.query_strings["slow-requests-by-path"], "by method, path")
    error_message = "Slow requests are the p95 of duration_ms by path in the web process's request lines."
  }
}

run "without_an_email_the_budget_publishes_to_the_topic" {
  command = plan

  variables {
    alarm_email        = ""
    monthly_budget_usd = 145
  }

  assert {
    condition     = length(module.alarm_topic.email_subscriptions) == 0
    error_message = "No e-mail, no subscription."
  }

  assert {
    condition     = [module.cost_budget.limit.amount, module.cost_budget.limit.unit, module.cost_budget.limit.time_unit] == ["145", "USD", "MONTHLY"] && jsonencode(module.cost_budget.limit.cost_filter) == jsonencode({ TagKeyValue = ["user:Environment$demo"] })
    error_message = "The budget is monthly_budget_usd a month over costs tagged with this environment."
  }

  assert {
    condition = toset([for notification in module.cost_budget.notifications : "${notification.type} ${notification.threshold}"]) == toset(["ACTUAL 80", "FORECASTED 100"]) && alltrue([
      for notification in module.cost_budget.notifications : notification.topics == toset([module.alarm_topic.arn]) && length(notification.emails) == 0
    ])
    error_message = "80 % actual and 100 % forecast go to the alarm topic when there is no e-mail."
  }

  assert {
    condition     = one([for statement in jsondecode(module.cost_budget.topic_policy).Statement : statement.Principal if statement.Sid == "BudgetsPublish"]) == { Service = "budgets.amazonaws.com" }
    error_message = "The topic lets AWS Budgets publish to it."
  }
}

run "with_an_email_the_budget_and_the_alarms_mail_it" {
  command = plan

  variables {
    alarm_email = "ops@acme-shop.io"
  }

  assert {
    condition     = module.alarm_topic.email_subscriptions == ["ops@acme-shop.io"]
    error_message = "The e-mail address is subscribed to the alarm topic."
  }

  assert {
    condition     = alltrue([for notification in module.cost_budget.notifications : notification.emails == toset(["ops@acme-shop.io"]) && length(notification.topics) == 0])
    error_message = "The budget mails the address directly."
  }

  assert {
    condition     = module.cost_budget.topic_policy == null
    error_message = "The topic keeps its default policy when the budget does not publish to it."
  }
}

run "placeholder_email_is_refused" {
  command = plan

  variables {
    alarm_email = "you@example.com"
  }

  expect_failures = [var.alarm_email]
}

run "placeholder_subdomain_email_is_refused" {
  command = plan

  variables {
    alarm_email = "Ops@Mail.Example.ORG"
  }

  expect_failures = [var.alarm_email]
}

run "malformed_email_is_refused" {
  command = plan

  variables {
    alarm_email = "ops at acme-shop.io"
  }

  expect_failures = [var.alarm_email]
}

run "budget_must_be_positive" {
  command = plan

  variables {
    monthly_budget_usd = 0
  }

  expect_failures = [var.monthly_budget_usd]
}

run "packed_layout_watches_its_one_service_without_redis_metrics" {
  command = plan

  variables {
    task_layout       = "packed"
    redis             = "container"
    capacity_provider = "FARGATE_SPOT"
  }

  assert {
    condition = [
      for metric in one([for widget in jsondecode(aws_cloudwatch_dashboard.main.dashboard_body).widgets : widget.properties.metrics if widget.properties.title == "CPU per service (%)"]) :
      metric[5]
    ] == [aws_ecs_service.service["app"].name]
    error_message = "The packed layout's CPU widget has the one service."
  }

  assert {
    condition     = length([for widget in jsondecode(aws_cloudwatch_dashboard.main.dashboard_body).widgets : widget if startswith(widget.properties.title, "Redis")]) == 0
    error_message = "Redis in the task has no ElastiCache metrics: no Redis widgets."
  }

  assert {
    condition     = length(jsondecode(aws_cloudwatch_dashboard.main.dashboard_body).widgets[3].properties.alarms) == 6 + 3 + 1 + 1 && length(aws_cloudwatch_metric_alarm.unhealthy_hosts) == 3
    error_message = "Packed: unhealthy hosts per target group, CPU and memory of the one service."
  }

  assert {
    condition     = contains(keys(aws_cloudwatch_log_group.service), "redis") && length(aws_cloudwatch_log_group.service) == 6
    error_message = "Every container has its log group, Redis too."
  }
}
