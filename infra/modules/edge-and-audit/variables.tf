variable "name" {
  description = "Prefix of every resource (e.g. depot-dev); also the web ACL's name."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "domain_name" {
  description = "Host name the certificate is issued for (the first service's Ingress host, e.g. depot.dev.example.com). Exact names, no wildcard: a leaked key then covers only the listed hosts."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,}$", var.domain_name))
    error_message = "domain_name must be a lowercase DNS name without wildcard, such as depot.dev.example.com."
  }
}

variable "subject_alternative_names" {
  description = "Further host names on the same certificate (the other services' Ingress hosts)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for n in var.subject_alternative_names : can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,}$", n))])
    error_message = "subject_alternative_names must be lowercase DNS names without wildcards."
  }
}

variable "zone_id" {
  description = "Route 53 hosted zone that holds domain_name (the certificate's DNS validation records go there)."
  type        = string

  validation {
    condition     = can(regex("^[A-Z0-9]{8,32}$", var.zone_id))
    error_message = "zone_id must be a Route 53 hosted zone id (uppercase letters and digits, e.g. Z0123456789ABCDEFGHIJ), not the zone's name."
  }
}

variable "waf_rate_limit" {
  description = "Requests per client IP per 5 minutes above which the web ACL blocks that IP."
  type        = number
  default     = 2000

  validation {
    condition     = var.waf_rate_limit >= 100 && var.waf_rate_limit <= 2000000000
    error_message = "waf_rate_limit must be between 100 and 2,000,000,000 (AWS WAF limits)."
  }
}

variable "log_retention_days" {
  description = "Days WAF and CloudTrail logs are kept in CloudWatch Logs."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value (e.g. 30, 90, 365)."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key that encrypts the WAF and CloudTrail log groups (the environment's log key)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]+$", var.log_kms_key_arn))
    error_message = "log_kms_key_arn must be a KMS key ARN."
  }
}

variable "trail_retention_days" {
  description = "Days CloudTrail log files are kept in the trail bucket."
  type        = number

  validation {
    condition     = var.trail_retention_days >= 90 && var.trail_retention_days <= 3653
    error_message = "trail_retention_days must be between 90 and 3653 (audit evidence is kept at least 90 days)."
  }
}

variable "data_event_bucket_arns" {
  description = "S3 buckets whose object-level API calls CloudTrail records (the services' content buckets)."
  type        = list(string)

  validation {
    condition     = alltrue([for arn in var.data_event_bucket_arns : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9.-]+$", arn))])
    error_message = "data_event_bucket_arns must be S3 bucket ARNs (arn:aws:s3:::NAME)."
  }
}

variable "backup_resource_arns" {
  description = "Resources AWS Backup protects (the DynamoDB table and the S3 bucket of each service)."
  type        = list(string)

  validation {
    condition     = length(var.backup_resource_arns) > 0 && alltrue([for arn in var.backup_resource_arns : can(regex("^arn:aws[a-z-]*:(dynamodb|s3):", arn))])
    error_message = "backup_resource_arns must be a non-empty list of DynamoDB table or S3 bucket ARNs."
  }
}

variable "backup_retention_days" {
  description = "Days each daily backup (and its cross-region copy) is kept."
  type        = number

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 36500
    error_message = "backup_retention_days must be between 1 and 36500."
  }
}

variable "backup_copy_to_other_region" {
  description = "Copy every backup to a vault in the aws.backup_copy provider's region (prod: survives a region loss)."
  type        = bool
}

variable "create_backup_selection" {
  description = "Manage the backup selection (which resources the plan protects). false only against an AWS API emulator that lacks the API."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete the trail bucket with its log files (throw-away environments only)."
  type        = bool
  default     = false
}

variable "backup_vault_force_destroy" {
  description = "Let `terraform destroy` delete the backup vaults with their recovery points (throw-away environments only; false against an AWS API emulator that cannot list recovery points)."
  type        = bool
  default     = false
}

variable "deny_insecure_transport" {
  description = "Attach the TLS-only deny statement to the trail bucket policy. false only against an AWS API emulator, which ignores the policy's condition."
  type        = bool
  default     = true
}

variable "binary_body_path_regexes" {
  description = "Anchored regular expressions of the URI paths that take binary request bodies (document uploads): there the WAF core rule set's body rules count instead of blocking."
  type        = list(string)

  validation {
    condition     = length(var.binary_body_path_regexes) > 0 && alltrue([for r in var.binary_body_path_regexes : startswith(r, "^/") && endswith(r, "$")])
    error_message = "binary_body_path_regexes must be a non-empty list of anchored path regexes, each starting with ^/ and ending with $ (e.g. \"^/v1/documents/[^/]+/content$\")."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary every role of this module carries (ci-identity's workload boundary): the CI apply role may create and change roles only with it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/[A-Za-z0-9+=,.@_/-]+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be the ARN of a customer-managed IAM policy (arn:aws:iam::ACCOUNT:policy/NAME), e.g. ci-identity's workload_boundary_arn output."
  }
}

variable "retain_audit_logs" {
  description = "Keep the audit log groups when the root is destroyed (skip_destroy): an audit trail must outlive what it audits. false only against an AWS API emulator, whose tests check that destroy leaves nothing."
  type        = bool
  default     = true
}

variable "trail_object_lock_mode" {
  description = "Object Lock mode of the trail bucket: COMPLIANCE (nobody can delete a log file before trail_retention_days) or GOVERNANCE (administrators with s3:BypassGovernanceRetention can)."
  type        = string
  default     = "COMPLIANCE"

  validation {
    condition     = contains(["COMPLIANCE", "GOVERNANCE"], var.trail_object_lock_mode)
    error_message = "trail_object_lock_mode must be \"COMPLIANCE\" or \"GOVERNANCE\"."
  }
}
