variable "name" {
  description = "Repository name (the service name, e.g. depot)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$", var.name))
    error_message = "name must be a valid ECR repository name: lowercase letters, digits, and . _ - / separators."
  }
}

variable "pull_account_ids" {
  description = "AWS accounts whose principals may pull images (the environment accounts)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.pull_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "pull_account_ids must be 12-digit AWS account ids."
  }
}

variable "untagged_expiry_days" {
  description = "Days after which untagged images (superseded build layers, failed pushes) expire. null disables expiry; tagged images are never expired by this module."
  type        = number
  default     = 30
  nullable    = true

  validation {
    condition     = var.untagged_expiry_days == null ? true : (var.untagged_expiry_days >= 1 && var.untagged_expiry_days <= 3650)
    error_message = "untagged_expiry_days must be null (never expire) or between 1 and 3650."
  }
}

variable "force_delete" {
  description = "Allow `terraform destroy` to delete the repository while it still holds images. false for real registries."
  type        = bool
  default     = false
}
