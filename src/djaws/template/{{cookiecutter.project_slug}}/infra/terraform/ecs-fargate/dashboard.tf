# One CloudWatch dashboard per environment (output dashboard_url): traffic, 5xx and p95 latency at the
# load balancer, CPU and memory per ECS service, the database and Redis, every alarm's state and the
# latest errors. Widgets are laid out two to a row in list order. Redis in the packed task
# (var.redis = "container") has no CloudWatch metrics: its widgets are left out, its memory counts in
# the task's.

locals {
  alb_metric       = ["AWS/ApplicationELB"]
  alb_instance     = ["LoadBalancer", aws_lb.main.arn_suffix]
  db_instance      = ["DBInstanceIdentifier", aws_db_instance.main.identifier]
  redis_nodes      = local.redis_container ? [] : sort(aws_elasticache_replication_group.main[0].member_clusters)
  ordered_services = keys(local.ecs_services)

  dashboard_alarms = concat(
    [
      aws_cloudwatch_metric_alarm.alb_5xx.arn,
      aws_cloudwatch_metric_alarm.target_5xx.arn,
      aws_cloudwatch_metric_alarm.latency_p95.arn,
      aws_cloudwatch_metric_alarm.db_cpu.arn,
      aws_cloudwatch_metric_alarm.db_connections.arn,
      aws_cloudwatch_metric_alarm.db_free_storage.arn,
    ],
    [for alarm in values(aws_cloudwatch_metric_alarm.unhealthy_hosts) : alarm.arn],
    [for alarm in values(aws_cloudwatch_metric_alarm.service_cpu) : alarm.arn],
    [for alarm in values(aws_cloudwatch_metric_alarm.service_memory) : alarm.arn],
  )

  redis_widgets = [
    {
      type = "metric"
      properties = {
        title  = "Redis CPU and memory (%)"
        region = var.aws_region
        view   = "timeSeries"
        stat   = "Average"
        period = 300
        metrics = concat(
          [for node in local.redis_nodes : ["AWS/ElastiCache", "EngineCPUUtilization", "CacheClusterId", node, { label = "${node} CPU" }]],
          [for node in local.redis_nodes : ["AWS/ElastiCache", "DatabaseMemoryUsagePercentage", "CacheClusterId", node, { label = "${node} memory" }]],
        )
      }
    },
    {
      type = "metric"
      properties = {
        title   = "Redis connections"
        region  = var.aws_region
        view    = "timeSeries"
        stat    = "Maximum"
        period  = 300
        metrics = [for node in local.redis_nodes : ["AWS/ElastiCache", "CurrConnections", "CacheClusterId", node, { label = node }]]
      }
    },
  ]

  dashboard_widgets = concat([
    {
      type = "metric"
      properties = {
        title   = "Requests (per minute)"
        region  = var.aws_region
        view    = "timeSeries"
        stat    = "Sum"
        period  = 60
        metrics = [concat(local.alb_metric, ["RequestCount"], local.alb_instance, [{ label = "requests" }])]
      }
    },
    {
      type = "metric"
      properties = {
        title  = "5xx responses (per minute)"
        region = var.aws_region
        view   = "timeSeries"
        stat   = "Sum"
        period = 60
        metrics = [
          concat(local.alb_metric, ["HTTPCode_Target_5XX_Count"], local.alb_instance, [{ label = "from the app" }]),
          concat(local.alb_metric, ["HTTPCode_ELB_5XX_Count"], local.alb_instance, [{ label = "from the load balancer" }]),
        ]
      }
    },
    {
      type = "metric"
      properties = {
        title  = "Response time (seconds)"
        region = var.aws_region
        view   = "timeSeries"
        period = 300
        metrics = [
          concat(local.alb_metric, ["TargetResponseTime"], local.alb_instance, [{ stat = "p95", label = "p95" }]),
          concat(local.alb_metric, ["TargetResponseTime"], local.alb_instance, [{ stat = "p50", label = "p50" }]),
        ]
        annotations = { horizontal = [{ label = "alarm", value = var.alarm_p95_latency_seconds }] }
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
        title  = "CPU per service (%)"
        region = var.aws_region
        view   = "timeSeries"
        stat   = "Average"
        period = 300
        metrics = [
          for service in local.ordered_services :
          ["AWS/ECS", "CPUUtilization", "ClusterName", aws_ecs_cluster.main.name, "ServiceName", aws_ecs_service.service[service].name, { label = service }]
        ]
      }
    },
    {
      type = "metric"
      properties = {
        title  = "Memory per service (%)"
        region = var.aws_region
        view   = "timeSeries"
        stat   = "Average"
        period = 300
        metrics = [
          for service in local.ordered_services :
          ["AWS/ECS", "MemoryUtilization", "ClusterName", aws_ecs_cluster.main.name, "ServiceName", aws_ecs_service.service[service].name, { label = service }]
        ]
      }
    },
    {
      type = "metric"
      properties = {
        title  = "Database CPU (%) and connections"
        region = var.aws_region
        view   = "timeSeries"
        period = 300
        metrics = [
          concat(["AWS/RDS", "CPUUtilization"], local.db_instance, [{ stat = "Average", label = "CPU %" }]),
          concat(["AWS/RDS", "DatabaseConnections"], local.db_instance, [{ stat = "Maximum", label = "connections", yAxis = "right" }]),
        ]
      }
    },
    {
      type = "metric"
      properties = {
        title  = "Database free storage (GiB)"
        region = var.aws_region
        view   = "timeSeries"
        period = 300
        metrics = [
          [{ expression = "free_bytes / 1073741824", label = "free GiB", id = "free_gib" }],
          concat(["AWS/RDS", "FreeStorageSpace"], local.db_instance, [{ stat = "Minimum", id = "free_bytes", visible = false }]),
        ]
      }
    },
    ], slice(local.redis_widgets, 0, local.redis_container ? 0 : length(local.redis_widgets)), [
    {
      type = "log"
      properties = {
        title  = "Latest errors"
        region = var.aws_region
        view   = "table"
        query  = "${join(" | ", [for group in module.log_queries.log_groups.errors : "SOURCE '${group}'"])} | ${replace(module.log_queries.query_strings.errors, "\n", " ")}"
      }
    },
  ])
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
