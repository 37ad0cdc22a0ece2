# One CloudWatch dashboard per environment (output dashboard_url): requests, 5xx and response times of
# the web process (log metric filters, cloudwatch.tf), the host's CPU and CPU credits, memory and disk
# (CloudWatch agent), every alarm's state and the latest errors. Widgets are laid out two to a row in
# list order.

locals {
  # Metric filters and the CloudWatch agent publish to the same namespace.
  own_metric    = [local.metric_namespace]
  host_instance = ["InstanceId", aws_instance.host.id]

  dashboard_alarms = [
    aws_cloudwatch_metric_alarm.web_5xx.arn,
    aws_cloudwatch_metric_alarm.latency_p95.arn,
    aws_cloudwatch_metric_alarm.host_cpu.arn,
    aws_cloudwatch_metric_alarm.host_memory.arn,
    aws_cloudwatch_metric_alarm.host_disk.arn,
    aws_cloudwatch_metric_alarm.host_system_check.arn,
    aws_cloudwatch_metric_alarm.host_instance_check.arn,
  ]

  dashboard_widgets = [
    {
      type = "metric"
      properties = {
        title   = "Requests to the web process (per minute)"
        region  = var.aws_region
        view    = "timeSeries"
        stat    = "Sum"
        period  = 60
        metrics = [concat(local.own_metric, [aws_cloudwatch_log_metric_filter.requests.metric_transformation[0].name, { label = "requests" }])]
      }
    },
    {
      type = "metric"
      properties = {
        title   = "5xx responses (per minute)"
        region  = var.aws_region
        view    = "timeSeries"
        stat    = "Sum"
        period  = 60
        metrics = [concat(local.own_metric, [aws_cloudwatch_log_metric_filter.responses_5xx.metric_transformation[0].name, { label = "5xx" }])]
      }
    },
    {
      type = "metric"
      properties = {
        title  = "Response time (milliseconds)"
        region = var.aws_region
        view   = "timeSeries"
        period = 300
        metrics = [
          concat(local.own_metric, [aws_cloudwatch_log_metric_filter.request_duration.metric_transformation[0].name, { stat = "p95", label = "p95" }]),
          concat(local.own_metric, [aws_cloudwatch_log_metric_filter.request_duration.metric_transformation[0].name, { stat = "p50", label = "p50" }]),
        ]
        annotations = { horizontal = [{ label = "alarm", value = var.alarm_p95_latency_seconds * 1000 }] }
      }
    },
    {
      type = "alarm"
      properties = {
        title  = "Alarms"
        alarms = local.dashboard_alarms
      }
    },
    {
      type = "metric"
      properties = {
        title  = "CPU (%) and CPU credits"
        region = var.aws_region
        view   = "timeSeries"
        period = 300
        metrics = [
          concat(["AWS/EC2"], ["CPUUtilization"], local.host_instance, [{ stat = "Average", label = "CPU %" }]),
          concat(["AWS/EC2"], ["CPUCreditBalance"], local.host_instance, [{ stat = "Minimum", label = "credits", yAxis = "right" }]),
        ]
      }
    },
    {
      type = "metric"
      properties = {
        title  = "Memory and swap in use (%)"
        region = var.aws_region
        view   = "timeSeries"
        stat   = "Average"
        period = 300
        metrics = [
          concat(local.own_metric, ["mem_used_percent"], local.host_instance, [{ label = "memory" }]),
          concat(local.own_metric, ["swap_used_percent"], local.host_instance, [{ label = "swap" }]),
        ]
        annotations = { horizontal = [{ label = "alarm", value = var.alarm_memory_percent }] }
      }
    },
    {
      type = "metric"
      properties = {
        title       = "Disk / in use (%)"
        region      = var.aws_region
        view        = "timeSeries"
        stat        = "Maximum"
        period      = 300
        metrics     = [concat(local.own_metric, ["disk_used_percent"], local.host_instance, ["path", "/", { label = "/" }])]
        annotations = { horizontal = [{ label = "alarm", value = var.alarm_disk_percent }] }
      }
    },
    {
      type = "log"
      properties = {
        title  = "Latest errors"
        region = var.aws_region
        view   = "table"
        query  = "${join(" | ", [for group in module.log_queries.log_groups.errors : "SOURCE '${group}'"])} | ${replace(module.log_queries.query_strings.errors, "\n", " ")}"
      }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "main" {
  dashboard_name = local.names.dashboard
  dashboard_body = jsonencode({
    widgets = [
      for index, widget in local.dashboard_widgets :
      merge(widget, { x = (index % 2) * 12, y = floor(index / 2) * 6, width = 12, height = 6 })
    ]
  })
}
