# One environment: the environment module with this root's variables, in this root's
# account. dev, staging and prod link to this file (infra/live/ENV/*.tf), so they cannot
# drift apart in code; each holds only its backend.tf and terraform.tfvars.

provider "aws" {
  region              = var.region
  allowed_account_ids = [var.account_id]

  default_tags {
    tags = local.tags
  }
}

provider "aws" {
  alias               = "backup_copy"
  region              = var.backup_copy_region
  allowed_account_ids = [var.account_id]

  default_tags {
    tags = local.tags
  }
}

locals {
  tags = {
    project     = "depot-platform"
    environment = var.environment
    managed-by  = "terraform"
    repository  = var.github_repository
  }
}

module "environment" {
  source = "../../modules/environment"
  providers = {
    aws             = aws
    aws.backup_copy = aws.backup_copy
  }

  platform_name                  = var.platform_name
  environment                    = var.environment
  services                       = var.services
  event_services                 = var.event_services
  availability_zones             = var.availability_zones
  vpc_cidr                       = var.vpc_cidr
  nat_gateway_count              = var.nat_gateway_count
  kubernetes_version             = var.kubernetes_version
  cluster_endpoint_public_access = var.cluster_endpoint_public_access
  cluster_public_access_cidrs    = var.cluster_public_access_cidrs
  system_node_group              = var.system_node_group
  platform_admin_role_arns       = var.platform_admin_role_arns
  developer_role_arns            = var.developer_role_arns
  developer_access               = var.developer_access
  dns_zone_name                  = var.dns_zone_name
  dns_zone_id                    = var.dns_zone_id
  waf_binary_body_path_regexes   = var.waf_binary_body_path_regexes
  waf_rate_limit                 = var.waf_rate_limit
  deletion_protection            = var.deletion_protection
  log_retention_days             = var.log_retention_days
  trail_retention_days           = var.trail_retention_days
  backup_retention_days          = var.backup_retention_days
  backup_copy_to_other_region    = var.backup_copy_to_other_region
  github_repository              = var.github_repository
  state_account_id               = var.state_account_id
  aws_api_emulator               = var.aws_api_emulator
}
