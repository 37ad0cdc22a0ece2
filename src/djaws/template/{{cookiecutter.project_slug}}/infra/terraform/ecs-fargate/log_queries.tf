# Saved Logs Insights queries (modules/log-queries): errors of every Django process, and slow requests
# and 5xx responses by path from the web process's request lines.

module "log_queries" {
  source = "../modules/log-queries"

  folder             = local.names.dashboard
  backend_log_groups = [for name in ["web", "websocket", "worker", "beat"] : aws_cloudwatch_log_group.service[name].name if contains(keys(local.running), name)]
  request_log_group  = aws_cloudwatch_log_group.service["web"].name
}
