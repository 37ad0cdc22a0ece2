output "names" {
  description = "Saved query names by query (errors, slow-requests-by-path, 5xx-by-path)."
  value       = { for key, query in aws_cloudwatch_query_definition.this : key => query.name }
}

output "log_groups" {
  description = "Log groups each query reads, by query."
  value       = { for key, query in local.queries : key => query.log_groups }
}

output "query_strings" {
  description = "Query text by query, for dashboard log widgets (which take the same syntax after SOURCE clauses)."
  value       = { for key, query in aws_cloudwatch_query_definition.this : key => query.query_string }
}
