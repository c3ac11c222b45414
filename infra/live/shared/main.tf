# What every environment uses once: the image registry and CI's identities. The state
# bucket itself comes from ./bootstrap (it must exist before this root can keep state).

provider "aws" {
  region              = var.region
  allowed_account_ids = [var.account_id]

  default_tags {
    tags = {
      project    = "depot-platform"
      root       = "shared"
      managed-by = "terraform"
      repository = var.github_repository
    }
  }
}

data "aws_partition" "current" {}

locals {
  partition = data.aws_partition.current.partition
}

module "ecr" {
  source   = "../../modules/ecr"
  for_each = toset(var.services)

  name             = each.key
  pull_account_ids = sort(values(var.environment_account_ids))
  force_delete     = var.ecr_force_delete
}

module "ci" {
  source = "../../modules/ci-identity"

  github_repository = var.github_repository
  name_prefix       = "depot-ci"

  image_push = {
    github_environment = var.release_github_environment
    repository_arns    = [for m in module.ecr : m.repository_arn]
  }

  terraform = {
    plan_github_environment  = "infra-shared-plan"
    apply_github_environment = "infra-shared"
    state_bucket_arn         = "arn:${local.partition}:s3:::${var.state_bucket_prefix}-${var.account_id}"
    state_key_prefix         = "live/shared/"
    state_kms_alias_arn      = "arn:${local.partition}:kms:${var.region}:${var.account_id}:alias/${var.state_bucket_prefix}"
    managed_services         = ["ecr", "kms", "s3"]
    # The shared account holds no service role (only registries and CI's identities), so
    # its apply role manages IAM under the platform's own prefix, never a service's.
    managed_iam_name_prefixes = ["depot"]
  }
}
