variable "service" {
  description = "Service name; prefixes every resource (bucket depot-ENV-content-ACCOUNT, table depot-ENV-documents)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}[a-z0-9]$", var.service))
    error_message = "service must be 3-22 lowercase letters, digits or hyphens, starting with a letter (e.g. \"depot\")."
  }
}

variable "environment" {
  description = "Environment name (dev, staging, prod, or another short lowercase name)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,11}$", var.environment))
    error_message = "environment must be 2-12 lowercase letters or digits, starting with a letter (e.g. \"dev\")."
  }
}

variable "deletion_protection" {
  description = "Protect the data from `terraform destroy`: DynamoDB deletion protection on, and the bucket is not force-destroyed while it holds objects. true in prod."
  type        = bool
}

variable "noncurrent_version_retention_days" {
  description = "Days a replaced or deleted object version is kept (the undo window for overwrites and deletes) before S3 expires it."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_retention_days >= 1 && var.noncurrent_version_retention_days <= 3650
    error_message = "noncurrent_version_retention_days must be between 1 and 3650."
  }
}

variable "incomplete_multipart_upload_days" {
  description = "Days after which S3 aborts an unfinished multipart upload and frees its parts (uploads interrupted by a crash or a drain)."
  type        = number
  default     = 2

  validation {
    condition     = var.incomplete_multipart_upload_days >= 1 && var.incomplete_multipart_upload_days <= 30
    error_message = "incomplete_multipart_upload_days must be between 1 and 30."
  }
}

variable "secret_recovery_window_days" {
  description = "Days a deleted API-key secret can still be restored; 0 deletes it at once (only for throw-away environments)."
  type        = number
  default     = 30

  validation {
    condition     = var.secret_recovery_window_days == 0 || (var.secret_recovery_window_days >= 7 && var.secret_recovery_window_days <= 30)
    error_message = "secret_recovery_window_days must be 0 or between 7 and 30 (the Secrets Manager limits)."
  }
}

variable "kms_deletion_window_days" {
  description = "Waiting period before the data key is deleted after `terraform destroy` (7-30 days); the last chance to recover encrypted data."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be between 7 and 30."
  }
}

variable "deny_insecure_transport" {
  description = "Attach the bucket policy that denies every request not made over TLS. false only against an AWS API emulator, which ignores the policy's condition and would deny everything."
  type        = bool
  default     = true
}
