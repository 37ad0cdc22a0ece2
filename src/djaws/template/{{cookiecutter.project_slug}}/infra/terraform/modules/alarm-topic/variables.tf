variable "name" {
  description = "Name of the topic (from infra/names.json)."
  type        = string
}

variable "email" {
  description = "Address subscribed to the topic (it must confirm the subscription mail); empty for none."
  type        = string

  validation {
    condition     = var.email == "" || can(regex("^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:].]+$", var.email))
    error_message = "email must be an e-mail address (name@domain) or empty."
  }
}
