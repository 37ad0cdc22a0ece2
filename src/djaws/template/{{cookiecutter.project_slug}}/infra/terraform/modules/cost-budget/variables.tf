variable "name" {
  description = "Budget name, from infra/names.json."
  type        = string
}

variable "environment" {
  description = "Value of the Environment tag whose costs the budget counts."
  type        = string
}

variable "monthly_usd" {
  description = "Monthly budget in US dollars."
  type        = number

  validation {
    condition     = var.monthly_usd > 0
    error_message = "monthly_usd must be a positive number of US dollars."
  }
}

variable "email" {
  description = "Address the notifications go to; empty to publish them to topic_arn instead."
  type        = string
}

variable "topic_arn" {
  description = "The environment's alarm topic: the notifications' subscriber when email is empty."
  type        = string
}
