# The service's AWS identity (IRSA): a role that only the service's Kubernetes service
# account, presenting a token for STS, can assume, and that can do only what the service
# does on only its own bucket, table, secret and key. A second, unattached policy holds
# the extra right the operator's key CLI needs (writing the secret), so the running
# service can never rewrite its own key set.

data "aws_region" "current" {}

locals {
  name           = "${var.service}-${var.environment}"
  object_arn     = "${var.bucket_arn}/${var.object_prefix}/*"
  table_and_gsis = [var.table_arn, "${var.table_arn}/index/*"]
}

data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "ServiceAccountOnly"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }

    # Both keys: sub pins the namespace and service account, aud pins the token's
    # audience to STS so a token minted for another audience cannot be replayed here.
    condition {
      test     = "StringEquals"
      variable = "${var.oidc_issuer}:sub"
      values   = ["system:serviceaccount:${var.namespace}:${var.service_account}"]
    }

    condition {
      test     = "StringEquals"
      variable = "${var.oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "service" {
  name                 = local.name
  permissions_boundary = var.permissions_boundary_arn
  description          = "IRSA role of ${var.namespace}/${var.service_account} in ${var.environment}"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "service" {
  statement {
    sid = "DocumentsTable"
    actions = [
      "dynamodb:DeleteItem",
      "dynamodb:DescribeTable",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
    ]
    resources = local.table_and_gsis
  }

  # CreateMultipartUpload, UploadPart and CompleteMultipartUpload are authorized by
  # s3:PutObject; AbortMultipartUpload is its own action.
  statement {
    sid = "ContentObjects"
    actions = [
      "s3:AbortMultipartUpload",
      "s3:DeleteObject",
      "s3:GetObject",
      "s3:PutObject",
    ]
    resources = [local.object_arn]
  }

  # Listing only under the tenants' prefix. HeadBucket (the health probe) is authorised
  # by s3:ListBucket too and carries no s3:prefix, hence the second statement: a request
  # without a prefix (IAM cannot tell HeadBucket from an unprefixed list; the bucket holds
  # nothing outside the prefix either).
  statement {
    sid       = "ListTenantObjects"
    actions   = ["s3:ListBucket"]
    resources = [var.bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.object_prefix}/*"]
    }
  }

  statement {
    sid       = "HeadContentBucket"
    actions   = ["s3:ListBucket"]
    resources = [var.bucket_arn]

    condition {
      test     = "Null"
      variable = "s3:prefix"
      values   = ["true"]
    }
  }

  statement {
    sid       = "ReadApiKeyHashes"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.secret_arn]
  }

  # The data key only through the three services that hold the data (kms:ViaService),
  # never for direct decryption of ciphertext taken elsewhere.
  statement {
    sid       = "UseDataKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [for s in ["s3", "dynamodb", "secretsmanager"] : "${s}.${data.aws_region.current.name}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "service" {
  name   = "${local.name}-data-access"
  role   = aws_iam_role.service.id
  policy = data.aws_iam_policy_document.service.json
}

data "aws_iam_policy_document" "key_admin" {
  statement {
    sid       = "ManageApiKeyHashes"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"]
    resources = [var.secret_arn]
  }

  statement {
    sid       = "UseDataKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${data.aws_region.current.name}.amazonaws.com"]
    }
  }
}

# Attached to nothing here: operators' SSO permission sets (or a break-glass role) attach
# it to run `depot keys issue|rotate|revoke`.
resource "aws_iam_policy" "key_admin" {
  name        = "${local.name}-key-admin"
  description = "Run the ${var.service} key CLI in ${var.environment}: read and write the API-key secret"
  policy      = data.aws_iam_policy_document.key_admin.json
}
