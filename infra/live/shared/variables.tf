variable "account_id" {
  description = "The shared account (ECR, CI identity, Terraform state). The provider refuses any other account."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account id (shared account: 444444444444)."
  }
}

variable "region" {
  description = "Region of the registry and of the CI identity's STS endpoint."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region code such as eu-west-1."
  }
}

variable "github_repository" {
  description = "GitHub repository (OWNER/NAME) whose workflows may assume the CI roles."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "github_repository must be OWNER/NAME (e.g. example-org/depot-platform)."
  }
}

variable "services" {
  description = "Services that get an image repository (one per service, named after it)."
  type        = list(string)

  validation {
    condition     = length(var.services) > 0 && alltrue([for s in var.services : can(regex("^[a-z][a-z0-9-]{1,20}[a-z0-9]$", s))])
    error_message = "services must be a non-empty list of service names (lowercase letters, digits, hyphens; e.g. [\"depot\"])."
  }
}

variable "environment_account_ids" {
  description = "Map environment => AWS account id; these accounts may pull images."
  type        = map(string)

  validation {
    condition     = alltrue([for k, v in var.environment_account_ids : can(regex("^[0-9]{12}$", v))])
    error_message = "environment_account_ids values must be 12-digit AWS account ids."
  }
}

variable "release_github_environment" {
  description = "GitHub environment of the release workflow; only its jobs may push images."
  type        = string
  default     = "release"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]+$", var.release_github_environment))
    error_message = "release_github_environment must be a GitHub environment name without wildcards."
  }
}

variable "state_bucket_prefix" {
  description = "Prefix of the state bucket created by ./bootstrap (PREFIX-ACCOUNT_ID), and name of its key alias."
  type        = string
  default     = "depot-tfstate"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{2,40}$", var.state_bucket_prefix))
    error_message = "state_bucket_prefix must be 3-41 lowercase letters, digits or hyphens."
  }
}

variable "ecr_force_delete" {
  description = "Let `terraform destroy` delete repositories that still hold images. false for the real registry."
  type        = bool
  default     = false
}
