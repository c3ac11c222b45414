# The queue of one event-driven service: S3 tells it that an object was created under the
# source bucket's content prefix, the worker receives, processes and deletes the message.
# Delivery is at least once: a message whose processing fails (or outlives the visibility
# timeout) is delivered again, and after max_receive_count receives it moves to the
# dead-letter queue, where an alert and a runbook take over.
#
# The bucket notification is NOT created here: a bucket has exactly one notification
# configuration, so the caller that knows every queue fed by a bucket owns it (the
# environment module, one per source bucket). This module outputs what that
# notification needs (`notification`).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  name       = "${var.service}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  # What S3 presents when it sends a notification: the confused-deputy guard, in both the
  # key policy and the queue policy.
  from_source_bucket = {
    StringEquals = { "aws:SourceAccount" = local.account_id }
    ArnEquals    = { "aws:SourceArn" = var.source_bucket_arn }
  }
}

# --- KMS: the queues' own key. S3 must be able to encrypt messages for the queue (SQS asks
# KMS on S3's behalf), which the AWS-managed aws/sqs key never allows.

resource "aws_kms_key" "queue" {
  description             = "${local.name}: event queue and dead-letter queue"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  # A key policy (hence jsonencode): AWS's default account statement, and S3 using the key
  # only for notifications from the source bucket of this account.
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
        Sid       = "S3NotificationsFromTheSourceBucket"
        Effect    = "Allow"
        Principal = { Service = "s3.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = "*"
        Condition = local.from_source_bucket
      },
    ]
  })
}

resource "aws_kms_alias" "queue" {
  name          = "alias/${local.name}-queue"
  target_key_id = aws_kms_key.queue.key_id
}

# --- SQS: the dead-letter queue first, then the queue that redrives into it.

resource "aws_sqs_queue" "dead_letter" {
  name                              = "${local.name}-dlq"
  message_retention_seconds         = var.dead_letter_retention_seconds
  kms_master_key_id                 = aws_kms_key.queue.arn
  kms_data_key_reuse_period_seconds = 300
}

resource "aws_sqs_queue" "events" {
  name = local.name
  # visibility_timeout_seconds > max_processing_seconds (validated): a message is never
  # handed to a second worker while the first is still verifying it.
  visibility_timeout_seconds        = var.visibility_timeout_seconds
  message_retention_seconds         = var.message_retention_seconds
  receive_wait_time_seconds         = 20 # long polling: fewer empty receives, lower cost
  kms_master_key_id                 = aws_kms_key.queue.arn
  kms_data_key_reuse_period_seconds = 300

  # The redrive policy has one owner, the resource below; the queue's own computed copy
  # compares JSON text, which the emulator reformats (a diff on every plan).
  lifecycle {
    ignore_changes = [redrive_policy]
  }
}

resource "aws_sqs_queue_redrive_policy" "events" {
  queue_url = aws_sqs_queue.events.id
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead_letter.arn
    maxReceiveCount     = var.max_receive_count
  })
}

# Only this queue may use the dead-letter queue as its target. Off only against an AWS
# API emulator, which never reports the attribute back (the provider waits forever).
resource "aws_sqs_queue_redrive_allow_policy" "dead_letter" {
  count = var.restrict_dead_letter_sources ? 1 : 0

  queue_url = aws_sqs_queue.dead_letter.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.events.arn]
  })
}

data "aws_iam_policy_document" "events" {
  statement {
    sid       = "S3NotificationsFromTheSourceBucket"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.events.arn]

    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [var.source_bucket_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_sqs_queue_policy" "events" {
  queue_url = aws_sqs_queue.events.id
  policy    = data.aws_iam_policy_document.events.json
}
