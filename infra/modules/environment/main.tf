# One environment of the platform, composed from the modules: network, EKS, the data and
# identity of every service, the edge and the audit trail, and this account's CI roles.
# The dev, staging and prod roots call this module with different variables only.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  name       = "${var.platform_name}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
}

# --- The environment's log key: every CloudWatch log group and the Loki bucket.

resource "aws_kms_key" "logs" {
  description             = "${local.name}: CloudWatch Logs and log storage"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  # A key policy (hence jsonencode): AWS's default account statement, and CloudWatch Logs
  # using the key only for this account's log groups.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministersKeyThroughIam"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchLogsOfThisAccount"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action    = ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
        Resource  = "*"
        Condition = {
          ArnLike = { "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*" }
        }
      },
    ]
  })

  # Stateful: removing it takes a reviewed edit of this block, not a stray destroy.
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_kms_alias" "logs" {
  name          = "alias/${local.name}-logs"
  target_key_id = aws_kms_key.logs.key_id
}

module "network" {
  source = "../network"

  name                     = local.name
  cidr_block               = var.vpc_cidr
  availability_zones       = var.availability_zones
  nat_gateway_count        = var.nat_gateway_count
  flow_log_retention_days  = var.log_retention_days
  log_kms_key_arn          = aws_kms_key.logs.arn
  karpenter_discovery_tag  = var.platform_name
  permissions_boundary_arn = module.ci.workload_boundary_arn
}

module "eks" {
  source = "../eks"

  name                       = local.name
  kubernetes_version         = var.kubernetes_version
  vpc_id                     = module.network.vpc_id
  private_subnet_ids         = module.network.private_subnet_ids
  endpoint_public_access     = var.cluster_endpoint_public_access
  public_access_cidrs        = var.cluster_public_access_cidrs
  node_group                 = var.system_node_group
  log_retention_days         = var.log_retention_days
  log_kms_key_arn            = aws_kms_key.logs.arn
  karpenter_discovery_tag    = var.platform_name
  logs_bucket_name           = "${local.name}-logs-${local.account_id}"
  logs_force_destroy         = !var.deletion_protection
  deny_insecure_transport    = !var.aws_api_emulator
  create_addons              = !var.aws_api_emulator
  create_access_entries      = !var.aws_api_emulator
  tag_cluster_security_group = !var.aws_api_emulator
  retain_audit_logs          = !var.aws_api_emulator
  permissions_boundary_arn   = module.ci.workload_boundary_arn

  access = {
    platform_admin_role_arns = var.platform_admin_role_arns
    developer_role_arns      = var.developer_role_arns
    developer_access         = var.developer_access
    developer_namespaces     = var.services
  }
}

module "data" {
  source   = "../service-data"
  for_each = toset(var.services)

  service                     = each.key
  environment                 = var.environment
  deletion_protection         = var.deletion_protection
  deny_insecure_transport     = !var.aws_api_emulator
  secret_recovery_window_days = var.deletion_protection ? 30 : 0
  kms_deletion_window_days    = var.deletion_protection ? 30 : 7
}

module "identity" {
  source   = "../service-identity"
  for_each = toset(var.services)

  service                  = each.key
  environment              = var.environment
  namespace                = each.key
  service_account          = each.key
  oidc_provider_arn        = module.eks.oidc_provider_arn
  oidc_issuer              = module.eks.oidc_issuer
  bucket_arn               = module.data[each.key].bucket_arn
  table_arn                = module.data[each.key].table_arn
  secret_arn               = module.data[each.key].secret_arn
  kms_key_arn              = module.data[each.key].kms_key_arn
  permissions_boundary_arn = module.ci.workload_boundary_arn
}

# The zone is delegated before this root is applied (docs/infra.md, "Day one"): a zone
# created in the same apply is not delegated yet, so the certificate's DNS validation
# would wait for the full ACM timeout (75 minutes) and fail. Reading it here also proves,
# at plan time, that the id names the zone of dns_zone_name.
data "aws_route53_zone" "this" {
  zone_id = var.dns_zone_id

  lifecycle {
    postcondition {
      condition     = trimsuffix(self.name, ".") == var.dns_zone_name
      error_message = "dns_zone_id names the zone ${trimsuffix(self.name, ".")}, not dns_zone_name (${var.dns_zone_name}): set dns_zone_id to the id of the delegated ${var.dns_zone_name} zone."
    }
  }
}

module "edge_and_audit" {
  source = "../edge-and-audit"
  providers = {
    aws             = aws
    aws.backup_copy = aws.backup_copy
  }

  name                        = local.name
  domain_name                 = "${var.services[0]}.${var.dns_zone_name}"
  subject_alternative_names   = [for s in slice(var.services, 1, length(var.services)) : "${s}.${var.dns_zone_name}"]
  zone_id                     = data.aws_route53_zone.this.zone_id
  binary_body_path_regexes    = var.waf_binary_body_path_regexes
  waf_rate_limit              = var.waf_rate_limit
  log_retention_days          = var.log_retention_days
  log_kms_key_arn             = aws_kms_key.logs.arn
  trail_retention_days        = var.trail_retention_days
  data_event_bucket_arns      = [for d in module.data : d.bucket_arn]
  backup_resource_arns        = flatten([for d in module.data : [d.table_arn, d.bucket_arn]])
  backup_retention_days       = var.backup_retention_days
  backup_copy_to_other_region = var.backup_copy_to_other_region
  create_backup_selection     = !var.aws_api_emulator
  force_destroy               = !var.deletion_protection
  backup_vault_force_destroy  = !var.deletion_protection && !var.aws_api_emulator
  deny_insecure_transport     = !var.aws_api_emulator
  permissions_boundary_arn    = module.ci.workload_boundary_arn
  retain_audit_logs           = !var.aws_api_emulator
  # Against the emulator: governance, so that destroy can empty the bucket.
  trail_object_lock_mode = var.aws_api_emulator ? "GOVERNANCE" : "COMPLIANCE"
}

module "ci" {
  source = "../ci-identity"

  github_repository = var.github_repository
  name_prefix       = "${var.platform_name}-ci"

  terraform = {
    plan_github_environment  = "infra-${var.environment}-plan"
    apply_github_environment = "infra-${var.environment}"
    state_bucket_arn         = "arn:${local.partition}:s3:::${var.platform_name}-tfstate-${var.state_account_id}"
    state_key_prefix         = "live/${var.environment}/"
    state_kms_alias_arn      = "arn:${local.partition}:kms:${local.region}:${var.state_account_id}:alias/${var.platform_name}-tfstate"
    # Service roles are named SERVICE-ENVIRONMENT (service-identity, event-worker-identity),
    # so each service's name, event services' included, is a prefix the apply role
    # manages, bounded like the platform's own.
    managed_iam_name_prefixes = distinct(concat([var.platform_name], var.services, keys(var.event_services)))
    managed_services = [
      "acm", "backup", "backup-storage", "cloudtrail", "dynamodb", "ec2", "eks", "events",
      "kms", "logs", "route53", "s3", "secretsmanager", "sqs", "wafv2",
    ]
  }
}
