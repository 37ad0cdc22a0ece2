# Saved CloudWatch Logs Insights queries over the JSON lines the backend writes
# (backend/config/logging.py; backend/apps/core/middleware.py logs one "app.request" line per request
# with method, path, status and duration_ms). They sit in a folder named after the dashboard.

locals {
  queries = {
    errors = {
      log_groups = var.backend_log_groups
      query      = <<-QUERY
        fields @timestamp, @log, level, logger, request_id, method, path, status, message, exception
        | filter level in ["ERROR", "CRITICAL"] or (logger = "app.request" and status >= 500)
        | sort @timestamp desc
        | limit 200
      QUERY
    }
    "slow-requests-by-path" = {
      log_groups = [var.request_log_group]
      query      = <<-QUERY
        filter logger = "app.request"
        | stats count(*) as requests, pct(duration_ms, 50) as p50_ms, pct(duration_ms, 95) as p95_ms, max(duration_ms) as max_ms by method, path
        | sort p95_ms desc
        | limit 50
      QUERY
    }
    "5xx-by-path" = {
      log_groups = [var.request_log_group]
      query      = <<-QUERY
        filter logger = "app.request" and status >= 500
        | stats count(*) as responses, latest(request_id) as last_request_id by method, path, status
        | sort responses desc
        | limit 50
      QUERY
    }
  }
}

resource "aws_cloudwatch_query_definition" "this" {
  for_each = local.queries

  name            = "${var.folder}/${each.key}"
  log_group_names = each.value.log_groups
  query_string    = chomp(each.value.query)
}
