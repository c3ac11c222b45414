variable "service" {
  description = "Name of the event-driven service that consumes the queue; names the queue SERVICE-ENV, its dead-letter queue SERVICE-ENV-dlq and its key alias/SERVICE-ENV-queue."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}[a-z0-9]$", var.service))
    error_message = "service must be 3-22 lowercase letters, digits or hyphens, starting with a letter (e.g. \"verifier\")."
  }
}

variable "environment" {
  description = "Environment name (dev, staging, prod, ...)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,11}$", var.environment))
    error_message = "environment must be 2-12 lowercase letters or digits, starting with a letter (e.g. \"dev\")."
  }
}

variable "source_bucket_arn" {
  description = "ARN of the bucket whose object-created events feed the queue (the source service's content bucket, service-data output bucket_arn). Only S3 acting for this bucket, in this account, may send to the queue or use its key."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]+$", var.source_bucket_arn))
    error_message = "source_bucket_arn must be an S3 bucket ARN (arn:aws:s3:::NAME), without an object path."
  }
}

variable "source_prefix" {
  description = "Key prefix whose created objects are announced (the source service's content prefix, e.g. \"tenants\"); the notification filters on PREFIX/."
  type        = string
  default     = "tenants"

  validation {
    condition     = can(regex("^[a-zA-Z0-9!_.()-]+(/[a-zA-Z0-9!_.()-]+)*$", var.source_prefix))
    error_message = "source_prefix must be a non-empty S3 key prefix without leading or trailing '/' and without wildcards (e.g. \"tenants\")."
  }
}

variable "max_processing_seconds" {
  description = "The longest time one message may take to process (for the verifier: read the largest object from S3, hash and sniff it, record the verdict). The visibility timeout must exceed it."
  type        = number
  default     = 300

  validation {
    condition     = var.max_processing_seconds >= 1 && var.max_processing_seconds < 43200
    error_message = "max_processing_seconds must be between 1 and 43199 (below the SQS visibility-timeout limit of 12 hours)."
  }
}

variable "visibility_timeout_seconds" {
  description = "How long a received message stays hidden from other workers. Must satisfy max_processing_seconds < visibility_timeout_seconds <= 43200: a shorter timeout redelivers a message still being processed (duplicate work, and a receive counted towards the dead-letter queue)."
  type        = number
  default     = 900

  validation {
    condition     = var.visibility_timeout_seconds > var.max_processing_seconds && var.visibility_timeout_seconds <= 43200
    error_message = "visibility_timeout_seconds must be greater than max_processing_seconds (the longest processing of one message) and at most 43200 (the SQS limit, 12 hours)."
  }
}

variable "max_receive_count" {
  description = "Receives after which a message that was never deleted moves to the dead-letter queue (the redrive policy's maxReceiveCount)."
  type        = number
  default     = 5

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000 && floor(var.max_receive_count) == var.max_receive_count
    error_message = "max_receive_count must be a whole number between 1 and 1000 (the SQS redrive limits)."
  }
}

variable "message_retention_seconds" {
  description = "How long an unprocessed event stays in the queue (SQS allows 60 s to 14 days)."
  type        = number
  default     = 345600 # 4 days: a long weekend of a stopped worker loses nothing

  validation {
    condition     = var.message_retention_seconds >= 60 && var.message_retention_seconds <= 1209600
    error_message = "message_retention_seconds must be between 60 and 1209600 (14 days)."
  }
}

variable "dead_letter_retention_seconds" {
  description = "How long a dead-lettered event is kept for inspection and redrive. SQS counts a standard queue message's age from its first enqueue, so it must be at least message_retention_seconds."
  type        = number
  default     = 1209600 # 14 days, the SQS maximum

  validation {
    condition     = var.dead_letter_retention_seconds >= var.message_retention_seconds && var.dead_letter_retention_seconds <= 1209600
    error_message = "dead_letter_retention_seconds must be at least message_retention_seconds and at most 1209600 (14 days)."
  }
}

variable "kms_deletion_window_days" {
  description = "Waiting period before the queue key is deleted after `terraform destroy` (7-30 days)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be between 7 and 30."
  }
}

variable "restrict_dead_letter_sources" {
  description = "Attach the dead-letter queue's redrive-allow policy (only this queue may redrive into it). false only against an AWS API emulator, which does not report the attribute back."
  type        = bool
  default     = true
}
