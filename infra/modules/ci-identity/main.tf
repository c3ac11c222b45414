# GitHub Actions' identities in one account: the account's OIDC provider and one role
# per job kind (image push, Terraform plan, Terraform apply). Each role trusts only this
# repository *and* one named GitHub environment: a trust policy cannot see branch
# protection, but an environment can require reviewers and restrict which branches and
# tags deploy to it, so the environment is the gate the trust policy can check.
#
# CI gets no Kubernetes access (Argo CD pulls from Git) and cannot change its own roles:
# the apply role is denied every IAM write on PREFIX-* roles and on the OIDC provider,
# so widening CI's rights always takes a human administrator.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  partition     = data.aws_partition.current.partition
  account_id    = data.aws_caller_identity.current.account_id
  github_host   = "token.actions.githubusercontent.com"
  provider_arn  = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : var.oidc_provider_arn
  subject       = "repo:${var.github_repository}:environment:%s"
  iam_arn       = "arn:${local.partition}:iam::${local.account_id}"
  state_objects = var.terraform == null ? "" : "${var.terraform.state_bucket_arn}/${var.terraform.state_key_prefix}*"
  # arn:aws:kms:REGION:ACCOUNT:alias/NAME => keys of that account and region, and "alias/NAME".
  state_keys  = var.terraform == null ? "" : "${split(":alias/", var.terraform.state_kms_alias_arn)[0]}:key/*"
  state_alias = var.terraform == null ? "" : "alias/${split(":alias/", var.terraform.state_kms_alias_arn)[1]}"
}

resource "aws_iam_openid_connect_provider" "github" {
  count          = var.create_oidc_provider ? 1 : 0
  url            = "https://${local.github_host}"
  client_id_list = ["sts.amazonaws.com"]
  # No thumbprint: IAM validates GitHub's certificate against its own trusted CAs.
}

data "aws_iam_policy_document" "trust" {
  for_each = toset(compact([
    try(var.image_push.github_environment, ""),
    try(var.terraform.plan_github_environment, ""),
    try(var.terraform.apply_github_environment, ""),
  ]))

  statement {
    sid     = "GitHubEnvironment"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    # StringEquals, never StringLike: one repository, one environment, no wildcards.
    condition {
      test     = "StringEquals"
      variable = "${local.github_host}:sub"
      values   = [format(local.subject, each.key)]
    }
  }
}

# --- Image push: ECR only, only the named repositories.

resource "aws_iam_role" "image_push" {
  count                = var.image_push == null ? 0 : 1
  name                 = "${var.name_prefix}-image-push"
  description          = "GitHub Actions (${var.github_repository}, environment ${var.image_push.github_environment}): push release images"
  assume_role_policy   = data.aws_iam_policy_document.trust[var.image_push.github_environment].json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "image_push" {
  count = var.image_push == null ? 0 : 1

  # GetAuthorizationToken has no resource-level permissions: AWS requires "*".
  statement {
    sid       = "RegistryLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "PushAndSignImages"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:CompleteLayerUpload",
      "ecr:DescribeImages",
      "ecr:GetDownloadUrlForLayer",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = var.image_push.repository_arns
  }
}

resource "aws_iam_role_policy" "image_push" {
  count  = var.image_push == null ? 0 : 1
  name   = "push-images"
  role   = aws_iam_role.image_push[0].id
  policy = data.aws_iam_policy_document.image_push[0].json
}

# --- Terraform state: both roles read it and take the lock; only apply writes it.

data "aws_iam_policy_document" "state" {
  for_each = var.terraform == null ? toset([]) : toset(["plan", "apply"])

  statement {
    sid       = "ListOwnStatePrefix"
    actions   = ["s3:ListBucket"]
    resources = [var.terraform.state_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.terraform.state_key_prefix}*"]
    }
  }

  statement {
    sid       = "ReadState"
    actions   = ["s3:GetObject"]
    resources = [local.state_objects]
  }

  # use_lockfile: the lock is a .tflock object next to the state.
  statement {
    sid       = "TakeStateLock"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = ["${var.terraform.state_bucket_arn}/${var.terraform.state_key_prefix}*.tflock"]
  }

  dynamic "statement" {
    for_each = each.key == "apply" ? [1] : []
    content {
      sid       = "WriteState"
      actions   = ["s3:PutObject"]
      resources = [local.state_objects]
    }
  }

  # The state key lives in the shared account and its id is not known before the
  # bootstrap runs; it is granted through its alias (kms:ResourceAliases), the
  # documented way to scope a key by name.
  statement {
    sid       = "StateKey"
    actions   = each.key == "apply" ? ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"] : ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [local.state_keys]

    condition {
      test     = "ForAnyValue:StringEquals"
      variable = "kms:ResourceAliases"
      values   = [local.state_alias]
    }
  }
}

resource "aws_iam_role" "terraform" {
  for_each             = var.terraform == null ? {} : { plan = var.terraform.plan_github_environment, apply = var.terraform.apply_github_environment }
  name                 = "${var.name_prefix}-terraform-${each.key}"
  description          = "GitHub Actions (${var.github_repository}, environment ${each.value}): terraform ${each.key}"
  assume_role_policy   = data.aws_iam_policy_document.trust[each.value].json
  max_session_duration = 3600
}

resource "aws_iam_role_policy" "state" {
  for_each = aws_iam_role.terraform
  name     = "terraform-state"
  role     = each.value.id
  policy   = data.aws_iam_policy_document.state[each.key].json
}

# Plan reads everything (refresh) and changes nothing.
resource "aws_iam_role_policy_attachment" "plan_read_only" {
  count      = var.terraform == null ? 0 : 1
  role       = aws_iam_role.terraform["plan"].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/ReadOnlyAccess"
}

data "aws_iam_policy_document" "apply" {
  count = var.terraform == null ? 0 : 1

  # Infrastructure APIs: whole services, because Terraform creates resources whose ids
  # (VPCs, subnets, ENIs, ...) cannot be known in advance; the account boundary scopes it.
  statement {
    sid       = "ManageInfrastructureServices"
    actions   = [for s in var.terraform.managed_services : "${s}:*"]
    resources = ["*"]
  }

  # IAM only under the platform's name prefix, never account-wide.
  statement {
    sid     = "ManagePlatformIam"
    actions = ["iam:*"]
    resources = [
      "${local.iam_arn}:role/${var.terraform.managed_iam_name_prefix}-*",
      "${local.iam_arn}:policy/${var.terraform.managed_iam_name_prefix}-*",
      "${local.iam_arn}:instance-profile/${var.terraform.managed_iam_name_prefix}-*",
      "${local.iam_arn}:oidc-provider/oidc.eks.*",
    ]
  }

  # Services create their own service-linked roles the first time they are used.
  statement {
    sid       = "CreateServiceLinkedRoles"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["${local.iam_arn}:role/aws-service-role/*"]
  }

  # Refreshing state reads AWS-managed policies and the GitHub OIDC provider.
  statement {
    sid     = "ReadAwsManagedPoliciesAndGitHubTrust"
    actions = ["iam:GetOpenIDConnectProvider", "iam:GetPolicy", "iam:GetPolicyVersion"]
    resources = [
      "arn:${local.partition}:iam::aws:policy/*",
      "${local.iam_arn}:oidc-provider/${local.github_host}",
    ]
  }

  # No self-escalation: CI's own roles and the GitHub trust are changed by a human
  # administrator only (reads stay allowed, so plans of the shared root still refresh).
  statement {
    sid    = "DenyChangesToCiIdentity"
    effect = "Deny"
    actions = [
      "iam:Add*", "iam:Attach*", "iam:Create*", "iam:Delete*", "iam:Detach*",
      "iam:PassRole", "iam:Put*", "iam:Remove*", "iam:Tag*", "iam:Untag*", "iam:Update*",
    ]
    resources = [
      "${local.iam_arn}:role/${var.name_prefix}-*",
      "${local.iam_arn}:oidc-provider/${local.github_host}",
    ]
  }
}

resource "aws_iam_role_policy" "apply" {
  count  = var.terraform == null ? 0 : 1
  name   = "manage-platform"
  role   = aws_iam_role.terraform["apply"].id
  policy = data.aws_iam_policy_document.apply[0].json
}
