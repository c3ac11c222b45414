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
  # Known before the policy exists, so the apply policy does not wait for it.
  boundary_arn = "${local.iam_arn}:policy/${var.name_prefix}-workload-boundary"
  # The services' API-key secrets (service-data: SERVICE/ENV/api-keys, plus the random
  # suffix Secrets Manager appends).
  api_key_secrets = "arn:${local.partition}:secretsmanager:*:${local.account_id}:secret:*/api-keys-*"
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

  # In the shared account the apply role manages s3 and kms (ECR's key), and would so
  # reach the state bucket's configuration and key through IAM alone: both are the
  # bootstrap's, changed by an administrator only. (Other roots' state objects are
  # protected by the bucket policy, live/shared/bootstrap.) A no-op elsewhere.
  statement {
    sid    = "DenyChangesToStateBucket"
    effect = "Deny"
    actions = [
      "s3:DeleteBucket*", "s3:PutBucket*", "s3:PutEncryptionConfiguration",
      "s3:PutLifecycleConfiguration", "s3:PutReplicationConfiguration",
    ]
    resources = [var.terraform.state_bucket_arn]
  }

  statement {
    sid       = "DenyChangesToStateKey"
    effect    = "Deny"
    actions   = ["kms:CreateGrant", "kms:Delete*", "kms:Disable*", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:Update*"]
    resources = [local.state_keys]

    condition {
      test     = "ForAnyValue:StringEquals"
      variable = "kms:ResourceAliases"
      values   = [local.state_alias]
    }
  }

  # parliament: UNKNOWN_CONDITION_FOR_ACTION - kms:ResourceAliases applies to every KMS key
  # operation (KMS Developer Guide, "Use aliases to control access"); parliament's table of
  # condition keys per action predates it. s3:prefix on ListBucket is AWS's own example.
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

# Plan reads the configuration of everything (refresh) and changes nothing.
resource "aws_iam_role_policy_attachment" "plan_read_only" {
  count      = var.terraform == null ? 0 : 1
  role       = aws_iam_role.terraform["plan"].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/ReadOnlyAccess"
}

# ...but never the data. The plan role runs on pull requests, where the Terraform code
# itself is under review: a data source added in a PR must not read tenants' items,
# objects, logs or secrets. ReadOnlyAccess grants those reads (dynamodb:GetItem/Query/
# Scan, s3:Get*, logs:GetLogEvents, ...), so they are denied here by name. The one
# secret refresh must read is each service's API-key secret (the initial version is a
# Terraform resource): it holds only SHA-256 hashes of random keys (ADR 0025), read
# through Secrets Manager with the data key, nothing else.
data "aws_iam_policy_document" "plan_no_data" {
  count = var.terraform == null ? 0 : 1

  statement {
    sid    = "DenyTableData"
    effect = "Deny"
    actions = [
      "dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:GetRecords",
      "dynamodb:GetShardIterator", "dynamodb:PartiQLSelect", "dynamodb:Query", "dynamodb:Scan",
    ]
    resources = ["*"]
  }

  # Every object except this root's own state (s3:GetObject on it is how plan reads
  # state).
  statement {
    sid           = "DenyObjectData"
    effect        = "Deny"
    actions       = ["s3:GetObject", "s3:GetObjectAttributes", "s3:GetObjectVersion", "s3:GetObjectTorrent", "s3:GetObjectVersionTorrent"]
    not_resources = [local.state_objects]
  }

  statement {
    sid       = "DenyLogData"
    effect    = "Deny"
    actions   = ["logs:FilterLogEvents", "logs:GetLogEvents", "logs:GetLogRecord", "logs:GetQueryResults", "logs:StartLiveTail", "logs:StartQuery", "logs:Unmask"]
    resources = ["*"]
  }

  statement {
    sid           = "DenyOtherSecrets"
    effect        = "Deny"
    actions       = ["secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue"]
    not_resources = [local.api_key_secrets]
  }

  statement {
    sid       = "RefreshApiKeySecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [local.api_key_secrets]
  }

  # Secrets Manager decrypts with the service's key on the caller's behalf; the
  # encryption context names the secret (Secrets Manager's documented SecretARN
  # context), so this opens no other ciphertext.
  statement {
    sid       = "DecryptApiKeySecrets"
    actions   = ["kms:Decrypt"]
    resources = ["arn:${local.partition}:kms:*:${local.account_id}:key/*"]

    condition {
      test     = "StringLike"
      variable = "kms:ViaService"
      values   = ["secretsmanager.*.amazonaws.com"]
    }

    condition {
      test     = "StringLike"
      variable = "kms:EncryptionContext:SecretARN"
      values   = [local.api_key_secrets]
    }
  }
}

resource "aws_iam_role_policy" "plan_no_data" {
  count  = var.terraform == null ? 0 : 1
  name   = "no-data-reads"
  role   = aws_iam_role.terraform["plan"].id
  policy = data.aws_iam_policy_document.plan_no_data[0].json
}

data "aws_iam_policy_document" "apply" {
  count = var.terraform == null ? 0 : 1

  # Infrastructure APIs: whole services, because Terraform creates resources whose ids
  # (VPCs, subnets, ENIs, ...) cannot be known in advance; the account boundary scopes it.
  # parliament: RESOURCE_STAR - for this reason; the IAM statements below are by name.
  statement {
    sid       = "ManageInfrastructureServices"
    actions   = [for s in var.terraform.managed_services : "${s}:*"]
    resources = ["*"]
  }

  # IAM only under the platform's and the services' name prefixes, and every role it creates or changes
  # carries the workload boundary (below): a role the apply role makes can never do more
  # than the boundary allows, so creating `depot-x` trusting itself and attaching
  # AdministratorAccess gains nothing (the escalation ADR 0026 closes). The pattern is
  # AWS's own for delegated role creation (IAM User Guide, permissions boundaries:
  # parliament: MISMATCHED_TYPE_BUT_USABLE - iam:PermissionsBoundary and iam:PolicyARN are
  # ARN-typed; StringEquals (as in AWS's own example) and ArnLike both compare them exactly.
  # iam:PermissionsBoundary on CreateRole, Put/DeleteRolePolicy, Attach/DetachRolePolicy,
  # PutRolePermissionsBoundary).
  statement {
    sid = "ManageBoundedPlatformRoles"
    actions = [
      "iam:AttachRolePolicy", "iam:CreateRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy",
      "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy",
    ]
    resources = [for prefix in var.terraform.managed_iam_name_prefixes : "${local.iam_arn}:role/${prefix}-*"]

    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [local.boundary_arn]
    }
  }

  # What changes a role without widening it (and reads). A trust policy may change: the
  # role stays bounded whoever may assume it.
  statement {
    sid = "MaintainPlatformRoles"
    actions = [
      "iam:DeleteRole", "iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole", "iam:ListRolePolicies", "iam:ListRoleTags",
      "iam:PassRole", "iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy",
      "iam:UpdateRole", "iam:UpdateRoleDescription",
    ]
    resources = [for prefix in var.terraform.managed_iam_name_prefixes : "${local.iam_arn}:role/${prefix}-*"]
  }

  # Customer-managed policies under the prefix (the key-admin policies). A policy only
  # grants what its holder's boundary allows; the boundary itself is CI's own (denied).
  statement {
    sid = "ManagePlatformPolicies"
    actions = [
      "iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
      "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListEntitiesForPolicy", "iam:ListPolicyTags",
      "iam:ListPolicyVersions", "iam:SetDefaultPolicyVersion", "iam:TagPolicy", "iam:UntagPolicy",
    ]
    resources = [for prefix in var.terraform.managed_iam_name_prefixes : "${local.iam_arn}:policy/${prefix}-*"]
  }

  statement {
    sid = "ManagePlatformInstanceProfiles"
    actions = [
      "iam:AddRoleToInstanceProfile", "iam:CreateInstanceProfile", "iam:DeleteInstanceProfile",
      "iam:GetInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:TagInstanceProfile",
      "iam:UntagInstanceProfile",
    ]
    resources = [for prefix in var.terraform.managed_iam_name_prefixes : "${local.iam_arn}:instance-profile/${prefix}-*"]
  }

  # The clusters' IRSA identity providers (issuer URLs oidc.eks.REGION.amazonaws.com/id/...).
  statement {
    sid = "ManageClusterOidcProviders"
    actions = [
      "iam:AddClientIDToOpenIDConnectProvider", "iam:CreateOpenIDConnectProvider",
      "iam:DeleteOpenIDConnectProvider", "iam:GetOpenIDConnectProvider",
      "iam:RemoveClientIDFromOpenIDConnectProvider", "iam:TagOpenIDConnectProvider",
      "iam:UntagOpenIDConnectProvider", "iam:UpdateOpenIDConnectProviderThumbprint",
    ]
    resources = ["${local.iam_arn}:oidc-provider/oidc.eks.*"]
  }

  # Belt and braces: never the account-wide AWS policies, even on a bounded role, and
  # never a role without its boundary.
  statement {
    sid       = "DenyAdministratorPolicies"
    effect    = "Deny"
    actions   = ["iam:AttachRolePolicy"]
    resources = ["*"]

    condition {
      test     = "ArnLike"
      variable = "iam:PolicyARN"
      values = [
        "arn:${local.partition}:iam::aws:policy/AdministratorAccess",
        "arn:${local.partition}:iam::aws:policy/PowerUserAccess",
        "arn:${local.partition}:iam::aws:policy/IAMFullAccess",
        "arn:${local.partition}:iam::aws:policy/*Administrator*",
      ]
    }
  }

  statement {
    sid       = "DenyRemovingBoundaries"
    effect    = "Deny"
    actions   = ["iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"]
    resources = ["*"]
  }

  # Services create their own service-linked roles the first time they are used.
  statement {
    sid       = "CreateServiceLinkedRoles"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["${local.iam_arn}:role/aws-service-role/*"]
  }

  # Refreshing state reads AWS-managed policies and the GitHub OIDC provider.
  # parliament: INVALID_ARN - arn:aws:iam::aws:policy/* is the documented ARN of AWS-managed
  # policies (account "aws", IAM User Guide, IAM identifiers); parliament expects 12 digits.
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
      "${local.iam_arn}:policy/${var.name_prefix}-*",
      "${local.iam_arn}:oidc-provider/${local.github_host}",
    ]
  }
}

# --- The workload boundary: the most any role the apply role creates may ever do.
# Everything but identity and account administration (the shape of AWS's own
# AWSCODAPermissionsBoundary), plus the few IAM calls the platform's roles make
# themselves: Karpenter manages its nodes' instance profiles and passes the node role,
# and services create their service-linked roles.
data "aws_iam_policy_document" "boundary" {
  count = var.terraform == null ? 0 : 1

  # A permissions boundary grants nothing: it is the ceiling of roles whose own policies
  # are least-privilege (checked role by role). Its "*" is the point (ADR 0026).
  #checkov:skip=CKV_AWS_107:a boundary grants nothing; each role's own policy is checked
  #checkov:skip=CKV_AWS_108:a boundary grants nothing; each role's own policy is checked
  #checkov:skip=CKV_AWS_109:a boundary grants nothing; each role's own policy is checked
  #checkov:skip=CKV_AWS_110:a boundary grants nothing; IAM, STS, Organizations are outside it
  #checkov:skip=CKV_AWS_111:a boundary grants nothing; each role's own policy is checked
  #checkov:skip=CKV_AWS_356:a boundary grants nothing; each role's own policy is checked

  # NotAction with Allow is the point of a boundary (ADR 0026).
  # parliament: RESOURCE_STAR - a boundary only caps; it grants nothing by itself, so "*"
  # is the ceiling and each role's own policy names its resources.
  statement {
    sid         = "AnythingButIdentityAndAccount"
    not_actions = ["account:*", "iam:*", "organizations:*", "sso:*", "sts:*"]
    resources   = ["*"]
  }

  statement {
    sid = "KarpenterInstanceProfiles"
    actions = [
      "iam:AddRoleToInstanceProfile", "iam:CreateInstanceProfile", "iam:DeleteInstanceProfile",
      "iam:GetInstanceProfile", "iam:ListInstanceProfiles", "iam:RemoveRoleFromInstanceProfile",
      "iam:TagInstanceProfile",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "PassPlatformRolesToEc2"
    actions   = ["iam:PassRole"]
    resources = [for prefix in var.terraform.managed_iam_name_prefixes : "${local.iam_arn}:role/${prefix}-*"]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ec2.amazonaws.com"]
    }
  }

  statement {
    sid       = "ServiceLinkedRoles"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["${local.iam_arn}:role/aws-service-role/*"]
  }

  statement {
    sid       = "AssumeRoleWithWebIdentityIsTrustOnly"
    actions   = ["sts:AssumeRoleWithWebIdentity", "sts:GetCallerIdentity"]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "boundary" {
  count       = var.terraform == null ? 0 : 1
  name        = "${var.name_prefix}-workload-boundary"
  description = "Permissions boundary of every role the CI apply role creates (${join(", ", [for p in var.terraform.managed_iam_name_prefixes : "${p}-*"])})"
  policy      = data.aws_iam_policy_document.boundary[0].json
}

resource "aws_iam_role_policy" "apply" {
  count  = var.terraform == null ? 0 : 1
  name   = "manage-platform"
  role   = aws_iam_role.terraform["apply"].id
  policy = data.aws_iam_policy_document.apply[0].json
}
