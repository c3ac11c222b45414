variable "service" {
  description = "Service name; the role is named SERVICE-ENV (e.g. verifier-dev)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}[a-z0-9]$", var.service))
    error_message = "service must be 3-22 lowercase letters, digits or hyphens, starting with a letter (e.g. \"depot\")."
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

variable "namespace" {
  description = "Kubernetes namespace of the service account allowed to assume the role."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.namespace))
    error_message = "namespace must be a Kubernetes DNS label (lowercase letters, digits, hyphens; at most 63 characters)."
  }
}

variable "service_account" {
  description = "Kubernetes service account allowed to assume the role."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$", var.service_account))
    error_message = "service_account must be a Kubernetes DNS subdomain name (lowercase letters, digits, '-' and '.')."
  }
}

variable "oidc_provider_arn" {
  description = "ARN of the cluster's IAM OIDC provider (output oidc_provider_arn of the eks module)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/.+$", var.oidc_provider_arn))
    error_message = "oidc_provider_arn must be an IAM OIDC provider ARN (arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH)."
  }
}

variable "oidc_issuer" {
  description = "The cluster's OIDC issuer without https:// (output oidc_issuer of the eks module); it prefixes the sub and aud condition keys."
  type        = string

  validation {
    condition     = !startswith(var.oidc_issuer, "https://") && length(var.oidc_issuer) > 0
    error_message = "oidc_issuer must be the issuer host and path without the https:// scheme (e.g. oidc.eks.eu-west-1.amazonaws.com/id/ABC)."
  }
}

variable "queue_arn" {
  description = "ARN of the worker's own queue (event-queue output queue_arn)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sqs:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", var.queue_arn))
    error_message = "queue_arn must be an SQS queue ARN (arn:aws:sqs:REGION:ACCOUNT:NAME)."
  }
}

variable "queue_kms_key_arn" {
  description = "ARN of the key that encrypts the queue (event-queue output kms_key_arn)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]+$", var.queue_kms_key_arn))
    error_message = "queue_kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), not an alias."
  }
}

variable "source_bucket_arn" {
  description = "ARN of the source service's content bucket (service-data output bucket_arn); the worker reads objects under source_prefix only."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]+$", var.source_bucket_arn))
    error_message = "source_bucket_arn must be an S3 bucket ARN (arn:aws:s3:::NAME), without an object path."
  }
}

variable "source_prefix" {
  description = "Content prefix of the source bucket (e.g. \"tenants\"); object reads are limited to PREFIX/*."
  type        = string
  default     = "tenants"

  validation {
    condition     = can(regex("^[a-zA-Z0-9!_.()-]+(/[a-zA-Z0-9!_.()-]+)*$", var.source_prefix))
    error_message = "source_prefix must be a non-empty S3 key prefix without leading or trailing '/' and without wildcards (e.g. \"tenants\")."
  }
}

variable "source_table_arn" {
  description = "ARN of the source service's table (service-data output table_arn), whose records carry the verdict."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]+$", var.source_table_arn))
    error_message = "source_table_arn must be a DynamoDB table ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME)."
  }
}

variable "source_kms_key_arn" {
  description = "ARN of the source service's data key (service-data output kms_key_arn), which encrypts its objects and table."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]+$", var.source_kms_key_arn))
    error_message = "source_kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), not an alias."
  }
}

variable "key_attributes" {
  description = "The table's primary key attributes; a request names them in its Key, so IAM's dynamodb:Attributes list must contain them."
  type        = list(string)
  default     = ["pk", "sk"]

  validation {
    condition     = length(var.key_attributes) >= 1 && length(var.key_attributes) <= 2
    error_message = "key_attributes must list the partition key and, if the table has one, the sort key."
  }
}

variable "read_attributes" {
  description = "Attributes of a record the worker may read (GetItem with a projection of these only)."
  type        = list(string)

  validation {
    condition     = length(var.read_attributes) > 0 && alltrue([for a in var.read_attributes : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", a))])
    error_message = "read_attributes must be a non-empty list of attribute names (no wildcards)."
  }
}

variable "verdict_attributes" {
  description = "The only attributes the worker may write (UpdateItem), e.g. integrity, integrity_checked_at, integrity_detail."
  type        = list(string)

  validation {
    condition     = length(var.verdict_attributes) > 0 && alltrue([for a in var.verdict_attributes : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", a))])
    error_message = "verdict_attributes must be a non-empty list of attribute names (no wildcards)."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary the role carries (ci-identity's workload boundary): the CI apply role may create roles only with it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/[A-Za-z0-9+=,.@_/-]+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be the ARN of a customer-managed IAM policy (arn:aws:iam::ACCOUNT:policy/NAME), e.g. ci-identity's workload_boundary_arn output."
  }
}
