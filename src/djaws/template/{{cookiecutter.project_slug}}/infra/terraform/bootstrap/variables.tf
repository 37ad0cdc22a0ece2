variable "aws_region" {
  description = "AWS region of the state bucket and of every environment."
  type        = string
}

variable "github_owner" {
  description = "GitHub user or organisation of the repository that deploys; empty skips the OIDC provider and both GitHub roles."
  type        = string
  default     = ""
}

variable "github_repository" {
  description = "Repository name (without the owner) whose workflows may assume the GitHub roles."
  type        = string
}

variable "create_github_oidc_provider" {
  description = "Create the account's GitHub OIDC provider. Set false when the account already has one (there can be only one per URL)."
  type        = bool
  default     = true
}

variable "state_noncurrent_version_days" {
  description = "Days the state bucket keeps superseded state versions (for recovering a broken state)."
  type        = number
  default     = 90
}
