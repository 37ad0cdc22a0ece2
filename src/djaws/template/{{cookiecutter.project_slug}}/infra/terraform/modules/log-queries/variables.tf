variable "folder" {
  description = "Folder of the saved queries in the Logs Insights console (the dashboard's name)."
  type        = string
}

variable "backend_log_groups" {
  description = "Log groups of the Django processes (web, websocket, worker, beat) the errors query reads."
  type        = list(string)

  validation {
    condition     = length(var.backend_log_groups) >= 1
    error_message = "backend_log_groups needs at least the web process's group."
  }
}

variable "request_log_group" {
  description = "Log group of the web process, whose request lines the slow-request and 5xx queries read."
  type        = string
}
