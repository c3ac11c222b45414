# The Terraform state bucket: versioned (every state ever written can be restored),
# KMS-encrypted, private, TLS-only, and partitioned: each root's principals reach only
# their own live/ROOT/ prefix. Locking is S3-native (use_lockfile), so there is no
# DynamoDB lock table to keep.

provider "aws" {
  region              = var.region
  allowed_account_ids = [var.account_id]

  default_tags {
    tags = {
      project    = "depot-platform"
      root       = "shared/bootstrap"
      managed-by = "terraform"
    }
  }
}

data "aws_partition" "current" {}

locals {
  partition   = data.aws_partition.current.partition
  bucket_name = "${var.state_bucket_prefix}-${var.account_id}"
  bucket_arn  = "arn:${local.partition}:s3:::${local.bucket_name}"
  # Per root: its CI roles (by name prefix) and the administrators who run its first
  # apply (docs/infra.md, "Day one"), as aws:PrincipalArn patterns.
  writer_arns = { for k, v in var.state_writers : k => concat(
    ["arn:${local.partition}:iam::${v.account_id}:role/${v.role_name_prefix}*"],
    v.admin_role_arn_patterns,
  ) }
}

# A key policy (hence jsonencode, not an IAM policy document): AWS's default account
# statement, plus the environment accounts' Terraform roles, which encrypt and decrypt
# their own state objects.
locals {
  state_key_policy = {
    Version = "2012-10-17"
    Statement = concat(
      [{
        Sid       = "AccountAdministersKeyThroughIam"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${var.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      }],
      [for name, writer in var.state_writers : {
        Sid       = "StateWriters${title(name)}"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${writer.account_id}:root" }
        Action    = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
        Resource  = "*"
        # Only through S3 (the state objects), never to decrypt anything else.
        Condition = {
          ArnLike      = { "aws:PrincipalArn" = local.writer_arns[name] }
          StringEquals = { "kms:ViaService" = "s3.${var.region}.amazonaws.com" }
        }
      }],
    )
  }
}

resource "aws_kms_key" "state" {
  description             = "Terraform state of the depot platform"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = jsonencode(local.state_key_policy)

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_kms_alias" "state" {
  name          = "alias/${var.state_bucket_prefix}"
  target_key_id = aws_kms_key.state.key_id
}

resource "aws_s3_bucket" "state" {
  bucket        = local.bucket_name
  force_destroy = var.force_destroy

  # Every root's history. Removing it takes an edit here, reviewed, not a stray destroy.
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_ownership_controls" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket                  = aws_s3_bucket.state.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.state.arn
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    id     = "keep-old-states-90-days"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = 90
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.state]
}

data "aws_iam_policy_document" "state_bucket" {
  dynamic "statement" {
    for_each = var.aws_api_emulator ? [] : [1]
    content {
      sid       = "DenyPlainHttp"
      effect    = "Deny"
      actions   = ["s3:*"]
      resources = [local.bucket_arn, "${local.bucket_arn}/*"]

      principals {
        type        = "*"
        identifiers = ["*"]
      }

      condition {
        test     = "Bool"
        variable = "aws:SecureTransport"
        values   = ["false"]
      }
    }
  }

  dynamic "statement" {
    for_each = var.state_writers
    content {
      sid       = "ListOwnState${title(statement.key)}"
      actions   = ["s3:ListBucket"]
      resources = [local.bucket_arn]

      principals {
        type        = "AWS"
        identifiers = ["arn:${local.partition}:iam::${statement.value.account_id}:root"]
      }

      condition {
        test     = "ArnLike"
        variable = "aws:PrincipalArn"
        values   = local.writer_arns[statement.key]
      }

      condition {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = ["live/${statement.key}/*"]
      }
    }
  }

  dynamic "statement" {
    for_each = var.state_writers
    content {
      sid       = "ReadWriteOwnState${title(statement.key)}"
      actions   = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
      resources = ["${local.bucket_arn}/live/${statement.key}/*"]

      principals {
        type        = "AWS"
        identifiers = ["arn:${local.partition}:iam::${statement.value.account_id}:root"]
      }

      condition {
        test     = "ArnLike"
        variable = "aws:PrincipalArn"
        values   = local.writer_arns[statement.key]
      }
    }
  }
}

# (appended to the document above through source_policy_documents below)
data "aws_iam_policy_document" "state_partitions" {
  # Each root's objects, for everybody but that root's own principals and this account's
  # administrators: in the shared account IAM alone would otherwise let the shared
  # root's CI roles (which manage s3 there) read or overwrite prod's state.
  dynamic "statement" {
    for_each = var.aws_api_emulator ? {} : var.state_writers
    content {
      sid       = "OnlyItsOwnersTouchState${title(statement.key)}"
      effect    = "Deny"
      actions   = ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]
      resources = ["${local.bucket_arn}/live/${statement.key}/*"]

      principals {
        type        = "*"
        identifiers = ["*"]
      }

      condition {
        test     = "ArnNotLike"
        variable = "aws:PrincipalArn"
        values   = concat(local.writer_arns[statement.key], var.state_admin_role_arn_patterns)
      }
    }
  }
}

data "aws_iam_policy_document" "state_bucket_policy" {
  source_policy_documents = [
    data.aws_iam_policy_document.state_bucket.json,
    data.aws_iam_policy_document.state_partitions.json,
  ]
}

resource "aws_s3_bucket_policy" "state" {
  bucket     = aws_s3_bucket.state.id
  policy     = data.aws_iam_policy_document.state_bucket_policy.json
  depends_on = [aws_s3_bucket_public_access_block.state]
}
