variable "repositories" {
  description = "Repository names keyed by image (backend, frontend), from infra/names.json."
  type        = map(string)
}

variable "force_delete" {
  description = "Let terraform destroy delete repositories that still hold images (never in prod)."
  type        = bool
}

variable "keep_images" {
  description = "How many images each repository keeps; older ones expire."
  type        = number

  validation {
    condition     = var.keep_images >= 1
    error_message = "keep_images must be at least 1."
  }
}
