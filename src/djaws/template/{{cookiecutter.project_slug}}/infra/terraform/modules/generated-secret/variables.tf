variable "name" {
  description = "Name of the secret (from infra/names.json)."
  type        = string
}

variable "description" {
  description = "What the secret holds, shown in the Secrets Manager console."
  type        = string
}

variable "length" {
  description = "Characters of the generated value (letters and digits)."
  type        = number

  validation {
    condition     = var.length >= 32 && var.length <= 4096
    error_message = "length must be between 32 and 4096."
  }
}

variable "recovery_window_in_days" {
  description = "Days a deleted secret can be restored: 0 deletes at once (the name is reusable right after destroy), 7 to 30 keeps it."
  type        = number

  validation {
    condition     = var.recovery_window_in_days == 0 || (var.recovery_window_in_days >= 7 && var.recovery_window_in_days <= 30)
    error_message = "recovery_window_in_days must be 0 or between 7 and 30."
  }
}
