# The EKS cluster: control plane with KMS envelope encryption of Secrets and every
# control-plane log (the Kubernetes audit log included) in CloudWatch Logs, API-only
# authentication (access entries; the creator gets no admin), the OIDC provider for IRSA,
# and the cluster security group tagged for Karpenter's discovery.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  iam_arn    = "arn:${local.partition}:iam::${local.account_id}"
  policy_arn = "arn:${local.partition}:iam::aws:policy"
  issuer     = replace(aws_eks_cluster.this.identity[0].oidc[0].issuer, "https://", "")
}

resource "aws_kms_key" "secrets" {
  description             = "${var.name}: envelope encryption of Kubernetes Secrets"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  # AWS's default key policy (a key policy, hence jsonencode); the cluster role uses the
  # key through IAM.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AccountAdministersKeyThroughIam"
      Effect    = "Allow"
      Principal = { AWS = "${local.iam_arn}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
}

data "aws_iam_policy_document" "cluster_trust" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]

    principals {
      type        = "Service"
      identifiers = ["eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "cluster" {
  name                 = "${var.name}-eks-cluster"
  permissions_boundary = var.permissions_boundary_arn
  assume_role_policy   = data.aws_iam_policy_document.cluster_trust.json
}

resource "aws_iam_role_policy_attachment" "cluster" {
  role       = aws_iam_role.cluster.name
  policy_arn = "${local.policy_arn}/AmazonEKSClusterPolicy"
}

data "aws_iam_policy_document" "cluster_secrets_key" {
  statement {
    actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*"]
    resources = [aws_kms_key.secrets.arn]
  }
}

resource "aws_iam_role_policy" "cluster_secrets_key" {
  name   = "encrypt-kubernetes-secrets"
  role   = aws_iam_role.cluster.id
  policy = data.aws_iam_policy_document.cluster_secrets_key.json
}

# Created before the cluster so its retention and key apply from the first log line
# (EKS would otherwise create it with infinite retention and no CMK).
# The control-plane logs hold the Kubernetes audit log: kept when the cluster goes.
resource "aws_cloudwatch_log_group" "cluster" {
  name              = "/aws/eks/${var.name}/cluster"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  skip_destroy      = var.retain_audit_logs
}

resource "aws_eks_cluster" "this" {
  name     = var.name
  version  = var.kubernetes_version
  role_arn = aws_iam_role.cluster.arn

  enabled_cluster_log_types = ["api", "audit", "authenticator", "controllerManager", "scheduler"]

  vpc_config {
    subnet_ids              = var.private_subnet_ids
    endpoint_private_access = true
    endpoint_public_access  = var.endpoint_public_access
    public_access_cidrs     = var.endpoint_public_access ? var.public_access_cidrs : null
  }

  encryption_config {
    resources = ["secrets"]

    provider {
      key_arn = aws_kms_key.secrets.arn
    }
  }

  # Access entries only, and no implicit admin for whoever ran `terraform apply`:
  # every human and machine gets exactly the entry listed in var.access.
  access_config {
    authentication_mode                         = "API"
    bootstrap_cluster_creator_admin_permissions = false
  }

  lifecycle {
    # Both settings are fixed at creation (the creator flag cannot change afterwards),
    # and some API implementations do not echo them back, which would show as drift.
    ignore_changes = [access_config]

    precondition {
      condition     = !var.endpoint_public_access || length(var.public_access_cidrs) > 0
      error_message = "endpoint_public_access = true needs public_access_cidrs (office or VPN egress ranges); an unrestricted public endpoint is not allowed."
    }
  }

  depends_on = [
    aws_cloudwatch_log_group.cluster,
    aws_iam_role_policy_attachment.cluster,
    aws_iam_role_policy.cluster_secrets_key,
  ]
}

# Karpenter's EC2NodeClass selects the node security group by this tag.
resource "aws_ec2_tag" "cluster_security_group_discovery" {
  count       = var.tag_cluster_security_group ? 1 : 0
  resource_id = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
  key         = "karpenter.sh/discovery"
  value       = var.karpenter_discovery_tag
}

# IRSA: pods exchange their projected service-account token for role credentials.
resource "aws_iam_openid_connect_provider" "cluster" {
  url            = aws_eks_cluster.this.identity[0].oidc[0].issuer
  client_id_list = ["sts.amazonaws.com"]
  # No thumbprint: IAM validates the EKS issuer's certificate against its trusted CAs.
}
