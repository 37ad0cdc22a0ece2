# terraform test -var-file=envs/demo.tfvars -filter=tests/monitoring.tftest.hcl  (make infra-test)
# The dashboard, the CloudWatch agent, the alarms, the saved queries and the budget of the host.

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

run "dashboard_shows_requests_host_and_alarms" {
  command = plan

  assert {
    condition = [for widget in jsondecode(aws_cloudwatch_dashboard.main.dashboard_body).widgets : widget.properties.title] == [
      "Requests to the web process (per minute)", "5xx responses (per minute)", "Response time (milliseconds)", "Alarms",
      "CPU (%) and CPU credits", "Memory and swap in use (%)", "Disk / in use (%)", "Latest errors",
    ]
    error_message = "The dashboard has requests, 5xx, latency, alarms, CPU, memory, disk and errors."
  }

  assert {
    condition     = alltrue([for widget in jsondecode(aws_cloudwatch_dashboard.main.dashboard_body).widgets : widget.x + widget.width <= 24])
    error_message = "Every widget fits the dashboard's 24 columns."
  }

  assert {
    condition     = slice(jsondecode(aws_cloudwatch_dashboard.main.dashboard_body).widgets[6].properties.metrics[0], 0, 6) == [aws_cloudwatch_metric_alarm.host_disk.namespace, "disk_used_percent", "InstanceId", "i-0123456789abcdef0", "path", "/"]
    error_message = "The disk widget shows what the disk alarm watches: / of this instance, in the agent's namespace."
  }

  assert {
    condition     = length(jsondecode(aws_cloudwatch_dashboard.main.dashboard_body).widgets[3].properties.alarms) == 7
    error_message = "The alarms widget shows all seven alarms."
  }

  assert {
    condition     = endswith(output.dashboard_url, "#dashboards/dashboard/${aws_cloudwatch_dashboard.main.dashboard_name}")
    error_message = "dashboard_url opens this environment's dashboard."
  }
}

run "agent_reports_memory_and_disk_to_the_environment_namespace" {
  command = plan

  assert {
    condition     = strcontains(aws_instance.host.user_data, "dnf install -y amazon-cloudwatch-agent") && strcontains(aws_instance.host.user_data, "amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s \\\n    -c \"ssm:${aws_ssm_parameter.cloudwatch_agent.name}\"")
    error_message = "First boot installs the CloudWatch agent and starts it with the config in the SSM parameter."
  }

  assert {
    condition     = startswith(aws_ssm_parameter.cloudwatch_agent.name, "AmazonCloudWatch-")
    error_message = "The parameter's name is one the agent's managed policies let it read (AmazonCloudWatch-*)."
  }

  assert {
    condition     = jsondecode(aws_ssm_parameter.cloudwatch_agent.value).metrics.namespace == aws_cloudwatch_metric_alarm.host_memory.namespace
    error_message = "The agent publishes to the namespace the memory alarm watches."
  }

  assert {
    condition = jsonencode(jsondecode(aws_ssm_parameter.cloudwatch_agent.value).metrics.metrics_collected) == jsonencode({
      disk = { drop_device = true, measurement = ["used_percent"], resources = ["/"] }
      mem  = { measurement = ["mem_used_percent"] }
      swap = { measurement = ["swap_used_percent"] }
    })
    error_message = "The agent collects memory, swap and disk use of /."
  }

  assert {
    condition     = jsondecode(aws_ssm_parameter.cloudwatch_agent.value).metrics.append_dimensions == { InstanceId = "$${aws:InstanceId}" }
    error_message = "The agent's metrics carry the InstanceId the alarms name."
  }

  assert {
    condition = one([
      for statement in jsondecode(aws_iam_role_policy.instance.policy).Statement : statement if statement.Action == "cloudwatch:PutMetricData"
    ]).Condition == { StringEquals = { "cloudwatch:namespace" = aws_cloudwatch_metric_alarm.host_memory.namespace } }
    error_message = "The host may publish metrics to its own namespace only."
  }
}

run "alarms_watch_memory_disk_5xx_and_latency" {
  command = plan

  variables {
    alarm_memory_percent      = 91
    alarm_disk_percent        = 80
    alarm_p95_latency_seconds = 2
    alarm_5xx_per_5_minutes   = 4
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.host_memory.metric_name == "mem_used_percent" && aws_cloudwatch_metric_alarm.host_memory.threshold == 91 && aws_cloudwatch_metric_alarm.host_memory.dimensions == tomap({ InstanceId = "i-0123456789abcdef0" })
    error_message = "The memory alarm watches this instance's mem_used_percent against alarm_memory_percent."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.host_disk.metric_name == "disk_used_percent" && aws_cloudwatch_metric_alarm.host_disk.threshold == 80 && aws_cloudwatch_metric_alarm.host_disk.dimensions == tomap({ InstanceId = "i-0123456789abcdef0", path = "/" })
    error_message = "The disk alarm watches / of this instance against alarm_disk_percent."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.latency_p95.extended_statistic == "p95" && aws_cloudwatch_metric_alarm.latency_p95.threshold == 2000 && aws_cloudwatch_metric_alarm.latency_p95.metric_name == aws_cloudwatch_log_metric_filter.request_duration.metric_transformation[0].name
    error_message = "The latency alarm watches the p95 of the request durations (milliseconds) against alarm_p95_latency_seconds."
  }

  assert {
    condition     = aws_cloudwatch_log_metric_filter.request_duration.metric_transformation[0].value == "$.duration_ms" && aws_cloudwatch_log_metric_filter.request_duration.log_group_name == aws_cloudwatch_log_group.service["web"].name
    error_message = "Request durations are duration_ms of the web process's request lines."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.web_5xx.threshold == 4 && aws_cloudwatch_log_metric_filter.responses_5xx.pattern == "{ $.logger = \"app.request\" && $.status >= 500 }"
    error_message = "The 5xx alarm counts request lines with a status of 500 or more against alarm_5xx_per_5_minutes."
  }

  assert {
    condition = alltrue([
      for alarm in [
        aws_cloudwatch_metric_alarm.host_cpu, aws_cloudwatch_metric_alarm.host_memory, aws_cloudwatch_metric_alarm.host_disk,
        aws_cloudwatch_metric_alarm.web_5xx, aws_cloudwatch_metric_alarm.latency_p95,
        aws_cloudwatch_metric_alarm.host_system_check, aws_cloudwatch_metric_alarm.host_instance_check,
      ] : contains(alarm.alarm_actions, module.alarm_topic.arn) && alarm.ok_actions == toset([module.alarm_topic.arn])
    ])
    error_message = "Every alarm tells the alarm topic when it fires and when it clears."
  }
}

run "queries_and_budget" {
  command = plan

  variables {
    enable_celery      = false
    enable_websocket   = false
    alarm_email        = ""
    monthly_budget_usd = 18
  }

  assert {
    condition     = jsonencode(module.log_queries.log_groups.errors) == jsonencode([aws_cloudwatch_log_group.service["web"].name]) && jsonencode(module.log_queries.log_groups["5xx-by-path"]) == jsonencode([aws_cloudwatch_log_group.service["web"].name])
    error_message = "Without Celery or websocket, the queries read the web process's log group."
  }

  assert {
    condition     = module.cost_budget.limit.amount == "18" && alltrue([for notification in module.cost_budget.notifications : notification.topics == toset([module.alarm_topic.arn])])
    error_message = "The budget is monthly_budget_usd and notifies the alarm topic when there is no e-mail."
  }
}

run "placeholder_email_is_refused" {
  command = plan

  variables {
    alarm_email = "you@example.net"
  }

  expect_failures = [var.alarm_email]
}
