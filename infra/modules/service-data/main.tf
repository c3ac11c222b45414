# The data a service owns: its S3 bucket (content), DynamoDB table (metadata), the
# Secrets Manager secret with its API-key hashes, and one customer-managed KMS key that
# encrypts all three. Names follow the shared naming contract so the chart values, the
# IAM policy and the service's own local provisioning all agree.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  name        = "${var.service}-${var.environment}"
  account_id  = data.aws_caller_identity.current.account_id
  bucket_name = "${local.name}-content-${local.account_id}"
  table_name  = "${local.name}-documents"
  secret_name = "${var.service}/${var.environment}/api-keys"
}

# --- KMS: one key per service and environment, so revoking it cuts off exactly this data.

resource "aws_kms_key" "data" {
  description             = "${local.name}: S3 content, DynamoDB table and API-key secret"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  # AWS's documented default key policy: the account administers and uses the key
  # through IAM, and use is then granted per principal (e.g. the service's role). A key
  # policy, not an IAM policy: hence jsonencode rather than an IAM policy document.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AccountAdministersKeyThroughIam"
      Effect    = "Allow"
      Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${local.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })

  # Stateful: removing it takes a reviewed edit of this block, not a stray destroy.
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_kms_alias" "data" {
  name          = "alias/${local.name}"
  target_key_id = aws_kms_key.data.key_id
}

# --- S3: document content under tenants/.

resource "aws_s3_bucket" "content" {
  bucket = local.bucket_name
  # A bucket with objects survives `terraform destroy` where data must be protected.
  force_destroy = !var.deletion_protection

  # Stateful: removing it takes a reviewed edit of this block, not a stray destroy.
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_ownership_controls" "content" {
  bucket = aws_s3_bucket.content.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "content" {
  bucket                  = aws_s3_bucket.content.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "content" {
  bucket = aws_s3_bucket.content.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "content" {
  bucket = aws_s3_bucket.content.id

  rule {
    # The service sends no key id: the bucket default applies, and bucket keys cut the
    # KMS request rate (and cost) by orders of magnitude for many small objects.
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.data.arn
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "content" {
  bucket = aws_s3_bucket.content.id

  rule {
    id     = "expire-old-versions-and-abandoned-uploads"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_retention_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = var.incomplete_multipart_upload_days
    }

    expiration {
      expired_object_delete_marker = true
    }
  }

  # Versioning must be on before noncurrent-version rules mean anything.
  depends_on = [aws_s3_bucket_versioning.content]
}

data "aws_iam_policy_document" "content_bucket" {
  statement {
    sid       = "DenyPlainHttp"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.content.arn, "${aws_s3_bucket.content.arn}/*"]

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

resource "aws_s3_bucket_policy" "content" {
  count  = var.deny_insecure_transport ? 1 : 0
  bucket = aws_s3_bucket.content.id
  policy = data.aws_iam_policy_document.content_bucket.json

  # Public access block first, so the policy is never evaluated on an open bucket.
  depends_on = [aws_s3_bucket_public_access_block.content]
}

# --- DynamoDB: document metadata. Schema = what the service creates locally.

resource "aws_dynamodb_table" "documents" {
  name                        = local.table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  range_key                   = "sk"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  attribute {
    name = "pending_pk"
    type = "S"
  }

  # Sparse: only documents still waiting for their content carry pending_pk, so the
  # sweeper reads exactly the stragglers and nothing else.
  global_secondary_index {
    name            = "pending"
    hash_key        = "pending_pk"
    range_key       = "sk"
    projection_type = "KEYS_ONLY"
  }

  # Idempotency records expire by themselves.
  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.data.arn
  }

  # Stateful: removing it takes a reviewed edit of this block, not a stray destroy.
  lifecycle {
    prevent_destroy = true
  }
}

# --- Secrets Manager: the API-key hashes. Terraform creates the container and an empty
# key set; `depot keys issue|rotate|revoke` owns the value afterwards.

resource "aws_secretsmanager_secret" "api_keys" {
  name                    = local.secret_name
  description             = "${local.name}: SHA-256 hashes of the tenants' API keys (managed by `depot keys`)"
  kms_key_id              = aws_kms_key.data.arn
  recovery_window_in_days = var.secret_recovery_window_days

  # Stateful: removing it takes a reviewed edit of this block, not a stray destroy.
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_secretsmanager_secret_version" "api_keys_initial" {
  secret_id     = aws_secretsmanager_secret.api_keys.id
  secret_string = jsonencode({ keys = [] })

  lifecycle {
    # The key CLI writes new versions; Terraform must never roll them back.
    ignore_changes = [secret_string]
  }
}
