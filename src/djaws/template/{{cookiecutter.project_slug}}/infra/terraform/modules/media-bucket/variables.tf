variable "bucket_name" {
  description = "Name of the media bucket (from infra/names.json)."
  type        = string
}

variable "force_destroy" {
  description = "Let terraform destroy delete a bucket that still holds objects (never in prod)."
  type        = bool
}

variable "versioning_enabled" {
  description = "Keep earlier versions of overwritten or deleted objects."
  type        = bool
}

variable "cors_allowed_origins" {
  description = "Origins (scheme://host) allowed to upload and download with presigned requests."
  type        = list(string)

  validation {
    condition     = length(var.cors_allowed_origins) > 0
    error_message = "At least one origin is needed, or browsers cannot upload."
  }
}

variable "pending_upload_tag" {
  description = "Tag the app puts on an object while its upload is unconfirmed."
  type        = object({ key = string, value = string })
  default     = { key = "upload-state", value = "pending" }
}

variable "pending_upload_expiry_days" {
  description = "Days after which an upload that was never confirmed is deleted."
  type        = number
  default     = 2
}

variable "noncurrent_version_expiry_days" {
  description = "Days an overwritten or deleted version is kept when versioning is on."
  type        = number
  default     = 30
}

variable "backup_prefix" {
  description = "Key prefix of database backups written into the bucket; empty when there are none."
  type        = string
  default     = ""
}

variable "backup_expiry_days" {
  description = "Days a database backup under backup_prefix is kept."
  type        = number
  default     = 14
}
