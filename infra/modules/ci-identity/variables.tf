variable "github_repository" {
  description = "GitHub repository (OWNER/NAME) whose workflows may assume the roles."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "github_repository must be OWNER/NAME (e.g. example-org/depot-platform), without wildcards."
  }
}

variable "name_prefix" {
  description = "Prefix of the role names (PREFIX-image-push, PREFIX-terraform-plan, PREFIX-terraform-apply)."
  type        = string
  default     = "depot-ci"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9+=,.@_-]{1,40}$", var.name_prefix))
    error_message = "name_prefix must be 2-41 IAM name characters, starting with a letter."
  }
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub Actions OIDC provider (one per account); false to use oidc_provider_arn."
  type        = bool
  default     = true
}

variable "oidc_provider_arn" {
  description = "Existing GitHub Actions OIDC provider of this account, when create_oidc_provider is false."
  type        = string
  default     = null

  validation {
    condition     = var.oidc_provider_arn == null ? true : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/token.actions.githubusercontent.com$", var.oidc_provider_arn))
    error_message = "oidc_provider_arn must be arn:aws:iam::ACCOUNT:oidc-provider/token.actions.githubusercontent.com."
  }
}

variable "image_push" {
  description = "The image-push role: the GitHub environment that may use it and the only repositories it may push to. null = no push role (environment accounts)."
  type = object({
    github_environment = string
    repository_arns    = list(string)
  })
  default = null

  validation {
    condition     = var.image_push == null ? true : alltrue([for arn in var.image_push.repository_arns : can(regex("^arn:aws[a-z-]*:ecr:[a-z0-9-]+:[0-9]{12}:repository/[a-z0-9._/-]+$", arn))]) && length(var.image_push.repository_arns) > 0
    error_message = "image_push.repository_arns must be a non-empty list of ECR repository ARNs without wildcards."
  }
}

variable "terraform" {
  description = <<-EOT
    The Terraform plan and apply roles of this account: the GitHub environments that may
    use each, where the state lives (bucket ARN, key prefix, ARN of the state key's alias), the AWS service
    prefixes the roots manage and the IAM name prefixes the apply role may manage (the platform's
    and every service's: service roles are named SERVICE-ENVIRONMENT).
    null = no Terraform roles.
  EOT
  type = object({
    plan_github_environment   = string
    apply_github_environment  = string
    state_bucket_arn          = string
    state_key_prefix          = string
    state_kms_alias_arn       = string
    managed_services          = list(string)
    managed_iam_name_prefixes = list(string)
  })
  default = null

  validation {
    condition     = var.terraform == null ? true : var.terraform.plan_github_environment != var.terraform.apply_github_environment
    error_message = "terraform.plan_github_environment and terraform.apply_github_environment must differ: plans run on pull requests, applies only behind the protected environment."
  }

  validation {
    condition     = var.terraform == null ? true : alltrue([for s in var.terraform.managed_services : can(regex("^[a-z0-9-]+$", s)) && s != "iam" && s != "sts" && s != "organizations"])
    error_message = "terraform.managed_services must be bare service prefixes (e.g. \"ec2\"); iam, sts and organizations are not allowed (IAM is granted by name prefix only)."
  }

  validation {
    condition     = var.terraform == null ? true : length(var.terraform.managed_iam_name_prefixes) > 0 && alltrue([for p in var.terraform.managed_iam_name_prefixes : can(regex("^[a-z][a-z0-9-]+$", p))])
    error_message = "terraform.managed_iam_name_prefixes must be a non-empty list of lowercase names (letters, digits, hyphens), e.g. [\"depot\", \"ledger\"]: the platform's name and every service's."
  }

  validation {
    condition     = var.terraform == null ? true : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9.-]+$", var.terraform.state_bucket_arn)) && can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:alias/[a-zA-Z0-9/_-]+$", var.terraform.state_kms_alias_arn))
    error_message = "terraform.state_bucket_arn must be an S3 bucket ARN and terraform.state_kms_alias_arn a KMS alias ARN (arn:aws:kms:REGION:ACCOUNT:alias/NAME)."
  }

  validation {
    condition     = var.terraform == null ? true : can(regex("^[a-z0-9._-]+(/[a-z0-9._-]+)*/$", var.terraform.state_key_prefix))
    error_message = "terraform.state_key_prefix must be a key prefix ending in '/' without wildcards (e.g. \"live/dev/\")."
  }
}
