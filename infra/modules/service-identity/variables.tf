variable "service" {
  description = "Service name; the role is named SERVICE-ENV (e.g. depot-dev)."
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

variable "bucket_arn" {
  description = "ARN of the service's own content bucket (service-data output bucket_arn)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]+$", var.bucket_arn))
    error_message = "bucket_arn must be an S3 bucket ARN (arn:aws:s3:::NAME), without an object path."
  }
}

variable "object_prefix" {
  description = "Key prefix the service writes under (DEPOT_S3_PREFIX); object permissions are limited to it."
  type        = string
  default     = "tenants"

  validation {
    condition     = can(regex("^[a-zA-Z0-9!_.()-]+(/[a-zA-Z0-9!_.()-]+)*$", var.object_prefix))
    error_message = "object_prefix must be a non-empty S3 key prefix without leading or trailing '/' and without wildcards (e.g. \"tenants\")."
  }
}

variable "table_arn" {
  description = "ARN of the service's own DynamoDB table (service-data output table_arn)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]+$", var.table_arn))
    error_message = "table_arn must be a DynamoDB table ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME)."
  }
}

variable "secret_arn" {
  description = "ARN of the service's API-key secret (service-data output secret_arn)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.secret_arn))
    error_message = "secret_arn must be a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-SUFFIX)."
  }
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the bucket, table and secret (service-data output kms_key_arn)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), not an alias."
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
