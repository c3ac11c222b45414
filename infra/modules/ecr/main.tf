# One image repository per service. Tags are immutable (a release tag always means one
# digest), images are scanned on push and encrypted with a customer key, only untagged
# images ever expire, and the environment accounts may pull. Signatures and attestations
# are stored as OCI 1.1 referrers (attached to the image digest, not written under a
# sha256-<digest>.sig tag), so tag immutability never blocks signing or re-signing.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_root = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"
}

resource "aws_kms_key" "images" {
  description             = "ECR repository ${var.name}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  # AWS's documented default key policy (a key policy, hence jsonencode). ECR itself uses
  # the key through a grant it creates with the repository, so pullers need no key rights.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AccountAdministersKeyThroughIam"
      Effect    = "Allow"
      Principal = { AWS = local.account_root }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
}

resource "aws_kms_alias" "images" {
  name          = "alias/ecr-${replace(var.name, "/", "-")}"
  target_key_id = aws_kms_key.images.key_id
}

resource "aws_ecr_repository" "this" {
  name                 = var.name
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.images.arn
  }
}

resource "aws_ecr_lifecycle_policy" "this" {
  count      = var.untagged_expiry_days == null ? 0 : 1
  repository = aws_ecr_repository.this.name

  # Only tagStatus=untagged: a rule can never select a tagged (release) image, whatever
  # its age or count, so a running version can never vanish from the registry.
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Expire untagged images after ${var.untagged_expiry_days} days"
      selection = {
        tagStatus   = "untagged"
        countType   = "sinceImagePushed"
        countUnit   = "days"
        countNumber = var.untagged_expiry_days
      }
      action = { type = "expire" }
    }]
  })
}

data "aws_iam_policy_document" "pull" {
  count = length(var.pull_account_ids) > 0 ? 1 : 0

  statement {
    sid = "EnvironmentAccountsPull"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
    ]

    principals {
      type        = "AWS"
      identifiers = [for id in var.pull_account_ids : "arn:${data.aws_partition.current.partition}:iam::${id}:root"]
    }
  }
}

resource "aws_ecr_repository_policy" "pull" {
  count      = length(var.pull_account_ids) > 0 ? 1 : 0
  repository = aws_ecr_repository.this.name
  policy     = data.aws_iam_policy_document.pull[0].json
}
