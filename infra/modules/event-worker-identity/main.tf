# The IRSA role of one event-driven worker (no ingress, no data of its own): it consumes
# its queue, reads the announced objects of the source service, and records a verdict on
# the source service's records. Only its Kubernetes service account (sub) with an STS
# token (aud) can assume it; each right is limited to the queue, the content prefix, the
# named attributes of the source table and the keys, through the services that hold them.
#
# The KEDA scaler does not use this role: it reads the queue depth with its own identity
# (ADR 0028), so the operator never holds the worker's data rights.

data "aws_region" "current" {}

locals {
  name       = "${var.service}-${var.environment}"
  region     = data.aws_region.current.name
  object_arn = "${var.source_bucket_arn}/${var.source_prefix}/*"
}

data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "ServiceAccountOnly"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }

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

resource "aws_iam_role" "worker" {
  name                 = local.name
  permissions_boundary = var.permissions_boundary_arn
  description          = "IRSA role of the event worker ${var.namespace}/${var.service_account} in ${var.environment}"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "worker" {
  # Receive, extend while working (heartbeat), delete when done; the attributes for its
  # own metrics. No SendMessage: the worker never enqueues, S3 does.
  statement {
    sid = "ConsumeOwnQueue"
    actions = [
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ReceiveMessage",
    ]
    resources = [var.queue_arn]
  }

  statement {
    sid       = "ReadAnnouncedObjects"
    actions   = ["s3:GetObject"]
    resources = [local.object_arn]
  }

  # Read only the fields it compares (plus the key): a request must name its attributes
  # (Null = false: ForAllValues over an absent list would be vacuously true) and may not
  # ask for the whole item.
  statement {
    sid       = "ReadComparedAttributes"
    actions   = ["dynamodb:GetItem"]
    resources = [var.source_table_arn]

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "dynamodb:Attributes"
      values   = concat(var.key_attributes, var.read_attributes)
    }

    condition {
      test     = "Null"
      variable = "dynamodb:Attributes"
      values   = ["false"]
    }

    condition {
      test     = "StringEqualsIfExists"
      variable = "dynamodb:Select"
      values   = ["SPECIFIC_ATTRIBUTES"]
    }
  }

  # Write only the verdict: every attribute the request names (update and condition
  # expressions, and the key) is in the list, and no old values come back.
  statement {
    sid       = "RecordVerdictOnly"
    actions   = ["dynamodb:UpdateItem"]
    resources = [var.source_table_arn]

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "dynamodb:Attributes"
      values   = concat(var.key_attributes, var.verdict_attributes)
    }

    condition {
      test     = "Null"
      variable = "dynamodb:Attributes"
      values   = ["false"]
    }

    condition {
      test     = "StringEqualsIfExists"
      variable = "dynamodb:ReturnValues"
      values   = ["NONE", "UPDATED_NEW"]
    }
  }

  # The source data key only through S3 (objects) and DynamoDB (the table is encrypted
  # with it, and DynamoDB uses the key on the caller's behalf).
  statement {
    sid       = "DecryptSourceDataThroughItsServices"
    actions   = ["kms:Decrypt"]
    resources = [var.source_kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com", "dynamodb.${local.region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "DecryptQueueMessagesThroughSqs"
    actions   = ["kms:Decrypt"]
    resources = [var.queue_kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["sqs.${local.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "worker" {
  name   = "${local.name}-event-worker"
  role   = aws_iam_role.worker.id
  policy = data.aws_iam_policy_document.worker.json
}
