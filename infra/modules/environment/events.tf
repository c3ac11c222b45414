# Event-driven services (no ingress): each gets a queue fed by its source service's
# content bucket (event-queue) and an IRSA role that consumes it (event-worker-identity).
# The source bucket's single notification configuration lives here, one per bucket, so
# every queue it feeds is declared in one place. KEDA scales the workers on queue depth
# with its own role, which can read only the queues' attributes (ADR 0028).

locals {
  event_sources = toset([for e in values(var.event_services) : e.source_service])
}

module "events" {
  source   = "../event-queue"
  for_each = var.event_services

  service                    = each.key
  environment                = var.environment
  source_bucket_arn          = module.data[each.value.source_service].bucket_arn
  source_prefix              = each.value.source_prefix
  max_processing_seconds     = each.value.max_processing_seconds
  visibility_timeout_seconds = each.value.visibility_timeout_seconds
  max_receive_count          = each.value.max_receive_count
  kms_deletion_window_days   = var.deletion_protection ? 30 : 7
  # The emulator never reports the redrive-allow attribute back; planned for real accounts.
  restrict_dead_letter_sources = !var.aws_api_emulator
}

module "event_identity" {
  source   = "../event-worker-identity"
  for_each = var.event_services

  service                  = each.key
  environment              = var.environment
  namespace                = each.key
  service_account          = each.key
  oidc_provider_arn        = module.eks.oidc_provider_arn
  oidc_issuer              = module.eks.oidc_issuer
  queue_arn                = module.events[each.key].queue_arn
  queue_kms_key_arn        = module.events[each.key].kms_key_arn
  source_bucket_arn        = module.data[each.value.source_service].bucket_arn
  source_prefix            = each.value.source_prefix
  source_table_arn         = module.data[each.value.source_service].table_arn
  source_kms_key_arn       = module.data[each.value.source_service].kms_key_arn
  read_attributes          = each.value.read_attributes
  verdict_attributes       = each.value.verdict_attributes
  permissions_boundary_arn = module.ci.workload_boundary_arn
}

# One notification configuration per source bucket, with a queue entry for every event
# service it feeds (a second aws_s3_bucket_notification on the same bucket would silently
# replace the first).
resource "aws_s3_bucket_notification" "events" {
  for_each = local.event_sources

  bucket = module.data[each.key].bucket_name

  dynamic "queue" {
    for_each = { for name, e in var.event_services : name => module.events[name].notification if e.source_service == each.key }

    content {
      id            = queue.key
      queue_arn     = queue.value.queue_arn
      events        = queue.value.events
      filter_prefix = queue.value.filter_prefix
    }
  }
}

# --- KEDA's identity: the SQS scaler reads queue depth (GetQueueAttributes) and nothing
# else; the TriggerAuthentication uses podIdentity provider aws with identityOwner keda.

data "aws_iam_policy_document" "keda_trust" {
  statement {
    sid     = "ServiceAccountOnly"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [module.eks.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${module.eks.oidc_issuer}:sub"
      values   = ["system:serviceaccount:${var.keda_service_account.namespace}:${var.keda_service_account.name}"]
    }

    condition {
      test     = "StringEquals"
      variable = "${module.eks.oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "keda" {
  count = length(var.event_services) > 0 ? 1 : 0

  name                 = "${local.name}-keda-operator"
  permissions_boundary = module.ci.workload_boundary_arn
  description          = "IRSA role of KEDA's operator in ${var.environment}: reads the event queues' depth"
  assume_role_policy   = data.aws_iam_policy_document.keda_trust.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "keda" {
  statement {
    sid       = "ReadEventQueueDepth"
    actions   = ["sqs:GetQueueAttributes"]
    resources = [for m in module.events : m.queue_arn]
  }
}

resource "aws_iam_role_policy" "keda" {
  count = length(var.event_services) > 0 ? 1 : 0

  name   = "${local.name}-keda-operator-queue-depth"
  role   = aws_iam_role.keda[0].id
  policy = data.aws_iam_policy_document.keda.json
}
