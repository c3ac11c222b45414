# AWS Backup of the services' data: daily, kept backup_retention_days, and (prod) copied
# to a vault in another region. Complements PITR (DynamoDB) and versioning (S3), which
# live in the same region and the same account as the data they protect.

resource "aws_kms_key" "backup" {
  description             = "${var.name}: backup vault"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AccountAdministersKeyThroughIam"
      Effect    = "Allow"
      Principal = { AWS = local.root_arn }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })

  # Stateful: removing it takes a reviewed edit of this block, not a stray destroy.
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_backup_vault" "this" {
  name          = var.name
  kms_key_arn   = aws_kms_key.backup.arn
  force_destroy = var.backup_vault_force_destroy

  # Stateful: removing it takes a reviewed edit of this block, not a stray destroy.
  lifecycle {
    prevent_destroy = true
  }
}

# Vault Lock (governance until the cooling-off period ends, then compliance): recovery
# points cannot be deleted early or the retention shortened, not even by an
# administrator. The emulator lacks the API; the plan tests cover it.
resource "aws_backup_vault_lock_configuration" "this" {
  count               = var.create_backup_selection ? 1 : 0
  backup_vault_name   = aws_backup_vault.this.name
  min_retention_days  = var.backup_retention_days
  max_retention_days  = var.backup_retention_days * 12
  changeable_for_days = 3
}

resource "aws_kms_key" "backup_copy" {
  provider                = aws.backup_copy
  count                   = var.backup_copy_to_other_region ? 1 : 0
  description             = "${var.name}: cross-region backup copies"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AccountAdministersKeyThroughIam"
      Effect    = "Allow"
      Principal = { AWS = local.root_arn }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
}

resource "aws_backup_vault" "copy" {
  provider      = aws.backup_copy
  count         = var.backup_copy_to_other_region ? 1 : 0
  name          = "${var.name}-copy"
  kms_key_arn   = aws_kms_key.backup_copy[0].arn
  force_destroy = var.backup_vault_force_destroy
}

resource "aws_backup_plan" "this" {
  name = var.name

  rule {
    rule_name         = "daily"
    target_vault_name = aws_backup_vault.this.name
    schedule          = "cron(0 3 * * ? *)"
    start_window      = 60
    completion_window = 360

    lifecycle {
      delete_after = var.backup_retention_days
    }

    dynamic "copy_action" {
      for_each = aws_backup_vault.copy
      content {
        destination_vault_arn = copy_action.value.arn

        lifecycle {
          delete_after = var.backup_retention_days
        }
      }
    }
  }
}

data "aws_iam_policy_document" "backup_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["backup.amazonaws.com"]
    }

    # Only AWS Backup acting for this account (confused-deputy prevention).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "backup" {
  name                 = "${var.name}-backup"
  permissions_boundary = var.permissions_boundary_arn
  assume_role_policy   = data.aws_iam_policy_document.backup_trust.json
}

resource "aws_iam_role_policy_attachment" "backup" {
  for_each = toset([
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
    "AWSBackupServiceRolePolicyForS3Backup",
    "AWSBackupServiceRolePolicyForS3Restore",
  ])
  role       = aws_iam_role.backup.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/${each.key}"
}

resource "aws_backup_selection" "this" {
  count        = var.create_backup_selection ? 1 : 0
  name         = "${var.name}-service-data"
  plan_id      = aws_backup_plan.this.id
  iam_role_arn = aws_iam_role.backup.arn
  resources    = var.backup_resource_arns
}
