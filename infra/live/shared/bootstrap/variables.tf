variable "account_id" {
  description = "The shared account (ECR, CI identity, Terraform state). The provider refuses any other account."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account id (shared account: 444444444444)."
  }
}

variable "region" {
  description = "Region of the state bucket."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region code such as eu-west-1."
  }
}

variable "state_bucket_prefix" {
  description = "The state bucket is named PREFIX-ACCOUNT_ID (globally unique, and tells where it lives)."
  type        = string
  default     = "depot-tfstate"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{2,40}$", var.state_bucket_prefix))
    error_message = "state_bucket_prefix must be 3-41 lowercase letters, digits or hyphens."
  }
}

variable "state_writers" {
  description = <<-EOT
    Map root name => { account_id, role_name_prefix, admin_role_arn_patterns }: the roles
    of that account whose names start with the prefix (its CI plan/apply roles), and the
    administrators matching the patterns (who run the root's first apply, before CI's
    roles exist), may read, lock and write only the state under live/ROOT/.
  EOT
  type = map(object({
    account_id              = string
    role_name_prefix        = string
    admin_role_arn_patterns = list(string)
  }))

  validation {
    condition     = alltrue([for k, v in var.state_writers : can(regex("^[a-z][a-z0-9-]+$", k)) && can(regex("^[0-9]{12}$", v.account_id)) && can(regex("^[a-zA-Z0-9+=,.@_-]+$", v.role_name_prefix))])
    error_message = "state_writers keys must be root names (e.g. dev), account_id 12 digits, role_name_prefix an IAM name prefix without wildcards."
  }

  validation {
    condition     = alltrue(flatten([for k, v in var.state_writers : [for a in v.admin_role_arn_patterns : can(regex("^arn:aws[a-z-]*:iam::${v.account_id}:role/[A-Za-z0-9+=,.@_/*-]+$", a)) && !endswith(a, ":role/*")]]))
    error_message = "state_writers[*].admin_role_arn_patterns must be role ARN patterns in that writer's own account_id (e.g. arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_PlatformAdmin_*), never every role (role/*)."
  }
}

variable "state_admin_role_arn_patterns" {
  description = "Administrators of the shared account who may reach every root's state (restores, state surgery), as aws:PrincipalArn patterns."
  type        = list(string)

  validation {
    condition     = length(var.state_admin_role_arn_patterns) > 0 && alltrue([for a in var.state_admin_role_arn_patterns : can(regex("^arn:aws[a-z-]*:iam::${var.account_id}:role/[A-Za-z0-9+=,.@_/*-]+$", a)) && !endswith(a, ":role/*")])
    error_message = "state_admin_role_arn_patterns must be role ARN patterns in the shared account (account_id), e.g. arn:aws:iam::444444444444:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_PlatformAdmin_*, never every role (role/*)."
  }
}

variable "force_destroy" {
  description = "Allow `terraform destroy` to delete the state bucket with its objects. Never true for a real state bucket."
  type        = bool
  default     = false
}

variable "aws_api_emulator" {
  description = "true only when applying against an AWS API emulator (the platform tests): the emulator ignores policy conditions, so the TLS-only deny statement would deny every call and is left out."
  type        = bool
  default     = false
}
