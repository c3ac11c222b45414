"""Least privilege of every workload and CI role, read back from the emulator after the
applies: no '*' action, '*' resources only where AWS requires them (named below), the
service role confined to its own bucket, table, secret and key, every IRSA role trusted
for exactly one service account, and the S3 confinement checked in practice with the
emulator enforcing IAM."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra import iam
from tests.infra.enforcement import CONFINED
from tests.infra.lifecycle import RootRun
from tests.infra.workspace import EMULATOR_ACCOUNT_ID

# The first test waits for the roots' lifecycles (minutes), which run in the background.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

ACCOUNT = EMULATOR_ACCOUNT_ID
ENV_MANAGED_SERVICES = {
    "acm",
    "backup",
    "backup-storage",
    "cloudtrail",
    "dynamodb",
    "ec2",
    "eks",
    "events",
    "kms",
    "logs",
    "route53",
    "s3",
    "secretsmanager",
    "sqs",
    "wafv2",
}

# Where AWS offers no resource-level permission, "*" is the only possible resource. Each
# role's exceptions are listed by action; anything else on "*" fails.
ALB_CONTROLLER_DISCOVERY = {
    "acm:ListCertificates", "ec2:DescribeAccountAttributes",
    "ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInstances", "ec2:DescribeInternetGateways", "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeTags",
    "ec2:DescribeVpcPeeringConnections", "ec2:DescribeVpcs",
    "elasticloadbalancing:DescribeCapacityReservation",
    "elasticloadbalancing:DescribeListenerAttributes",
    "elasticloadbalancing:DescribeListenerCertificates",
    "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeSSLPolicies", "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DescribeTrustStores",
    "shield:GetSubscriptionState",
}  # fmt: skip
STAR_RESOURCE_EXCEPTIONS: dict[str, set[str]] = {
    # Describe/List calls of the controller's discovery: no resource-level permissions.
    "depot-dev-aws-load-balancer-controller": ALB_CONTROLLER_DISCOVERY,
    "depot-ci-image-push": {"ecr:GetAuthorizationToken"},
    "depot-ci-terraform-apply": {"ecr:*", "kms:*", "s3:*"},  # the shared root's services
    "depot-dev-karpenter": {
        "ec2:DescribeAvailabilityZones",
        "ec2:DescribeCapacityReservations",
        "ec2:DescribeImages",
        "ec2:DescribeInstanceTypeOfferings",
        "ec2:DescribeInstanceTypes",
        "ec2:DescribeInstances",
        "ec2:DescribeLaunchTemplates",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSpotPriceHistory",
        "ec2:DescribeSubnets",
        "pricing:GetProducts",
    },
    "depot-dev-argo-rollouts": {
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeRules",
        "elasticloadbalancing:DescribeTags",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetHealth",
    },
    "depot-dev-cloudwatch-exporter": {
        "cloudwatch:GetMetricData",
        "cloudwatch:ListMetrics",
        "tag:GetResources",
    },
}

# AWS-managed policies a role may carry, by role.
MANAGED_POLICIES: dict[str, set[str]] = {
    "depot-ci-terraform-plan": {"ReadOnlyAccess"},
    "depot-dev-eks-cluster": {"AmazonEKSClusterPolicy"},
    "depot-dev-node": {
        "AmazonEKSWorkerNodePolicy",
        "AmazonEC2ContainerRegistryReadOnly",
        "AmazonSSMManagedInstanceCore",
    },
    # No AmazonEKS_CNI_Policy on either node role: the CNI has its own IRSA role.
    "depot-karpenter-node": {
        "AmazonEKSWorkerNodePolicy",
        "AmazonEC2ContainerRegistryReadOnly",
        "AmazonSSMManagedInstanceCore",
    },
    "depot-dev-vpc-cni": {"AmazonEKS_CNI_Policy"},
    "depot-dev-ebs-csi": {"AmazonEBSCSIDriverPolicy"},
    # Reads signatures and manifests from ECR for admission: what every node may read.
    "depot-dev-policy-controller": {"AmazonEC2ContainerRegistryReadOnly"},
    "depot-dev-backup": {
        "AWSBackupServiceRolePolicyForBackup",
        "AWSBackupServiceRolePolicyForRestores",
        "AWSBackupServiceRolePolicyForS3Backup",
        "AWSBackupServiceRolePolicyForS3Restore",
    },
}

# IRSA roles => the only service account each trusts.
IRSA_SUBJECTS = {
    "depot-dev": "system:serviceaccount:depot:depot",
    "depot-dev-karpenter": "system:serviceaccount:kube-system:karpenter",
    "depot-dev-aws-load-balancer-controller": (
        "system:serviceaccount:kube-system:aws-load-balancer-controller"
    ),
    "depot-dev-external-secrets": "system:serviceaccount:external-secrets:external-secrets",
    "depot-dev-loki": "system:serviceaccount:logging:loki",
    "depot-dev-cloudwatch-exporter": "system:serviceaccount:monitoring:cloudwatch-exporter",
    "depot-dev-argo-rollouts": "system:serviceaccount:argo-rollouts:argo-rollouts",
    "depot-dev-vpc-cni": "system:serviceaccount:kube-system:aws-node",
    "depot-dev-ebs-csi": "system:serviceaccount:kube-system:ebs-csi-controller-sa",
    "depot-dev-policy-controller": "system:serviceaccount:cosign-system:policy-controller",
    # The event-driven verifier and the KEDA operator that scales it (ADR 0028).
    "verifier-dev": "system:serviceaccount:verifier:verifier",
    "depot-dev-keda-operator": "system:serviceaccount:keda:keda-operator",
}


@pytest.fixture(scope="module")
def roles(dev_run: RootRun, shared_run: RootRun) -> dict[str, dict[str, Any]]:
    dev = dev_run.require().snapshot["roles"]
    shared = shared_run.require().snapshot["roles"]
    # The apply role of an environment account is checked against that account's services.
    merged = {**dev, **{name: role for name, role in shared.items() if name not in dev}}
    merged["depot-ci-terraform-apply (dev account)"] = dev["depot-ci-terraform-apply"]
    merged["depot-ci-terraform-apply"] = shared["depot-ci-terraform-apply"]
    return merged


def test_every_expected_role_exists(roles: dict[str, dict[str, Any]]) -> None:
    expected = (
        set(IRSA_SUBJECTS)
        | set(MANAGED_POLICIES)
        | {
            "depot-ci-image-push",
            "depot-ci-terraform-apply",
            "depot-dev-vpc-flow-logs",
            "depot-dev-cloudtrail-to-logs",
        }
    )
    assert expected <= set(roles), sorted(expected - set(roles))


def test_no_role_is_granted_every_action(roles: dict[str, dict[str, Any]]) -> None:
    offenders = {
        f"{name}/{policy}": [s.sid for s in iam.full_wildcard_actions(doc)]
        for name, role in roles.items()
        for policy, doc in role["inline"].items()
        if iam.full_wildcard_actions(doc)
    }
    assert not offenders, offenders
    admin = {
        n
        for n, r in roles.items()
        for arn in r["attached"]
        if arn.endswith(("/AdministratorAccess", "/PowerUserAccess", "/IAMFullAccess"))
    }
    assert not admin, admin


def star_actions(role: dict[str, Any]) -> set[str]:
    return {a for doc in role["inline"].values() for a in iam.star_resource_actions(doc)}


def test_star_resources_only_where_aws_requires_them(roles: dict[str, dict[str, Any]]) -> None:
    exceptions = {
        **STAR_RESOURCE_EXCEPTIONS,
        "depot-ci-terraform-apply (dev account)": {f"{s}:*" for s in ENV_MANAGED_SERVICES},
    }
    offenders = {
        name: sorted(star_actions(role) - exceptions.get(name, set()))
        for name, role in roles.items()
        if star_actions(role) - exceptions.get(name, set())
    }
    assert not offenders, f"'*' resources not justified by AWS: {offenders}"


def test_aws_managed_policies_only_where_named(roles: dict[str, dict[str, Any]]) -> None:
    for name, role in roles.items():
        attached = {arn.rsplit("/", 1)[1] for arn in role["attached"]}
        assert attached <= MANAGED_POLICIES.get(name, set()), f"{name} carries {attached}"


def test_service_role_reaches_only_its_own_resources(roles: dict[str, dict[str, Any]]) -> None:
    (document,) = roles["depot-dev"]["inline"].values()
    assert roles["depot-dev"]["attached"] == []
    table = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/depot-dev-documents"
    bucket = f"arn:aws:s3:::depot-dev-content-{ACCOUNT}"
    granted = {(a, r) for s in iam.allows(document) for a in s.actions for r in s.resources}
    dynamodb = {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:Query",
        "dynamodb:DescribeTable",
    }
    objects = {"s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload"}
    secret = next(r for a, r in granted if a == "secretsmanager:GetSecretValue")
    key = next(r for a, r in granted if a == "kms:Decrypt")
    assert secret.startswith(
        f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:depot/dev/api-keys-"
    )
    assert key.startswith(f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/")
    expected = (
        {(a, r) for a in dynamodb for r in (table, f"{table}/index/*")}
        | {(a, f"{bucket}/tenants/*") for a in objects}
        | {("s3:ListBucket", bucket), ("secretsmanager:GetSecretValue", secret)}
        | {("kms:Decrypt", key), ("kms:GenerateDataKey", key)}
    )
    assert granted == expected, {"extra": granted - expected, "missing": expected - granted}


def test_only_the_key_admin_policy_may_write_the_key_set(
    dev_run: RootRun, roles: dict[str, dict[str, Any]]
) -> None:
    for name, role in roles.items():
        for doc in role["inline"].values():
            assert "secretsmanager:PutSecretValue" not in iam.allowed_actions(doc), name
    key_admin = dev_run.snapshot["key_admin_policy"]
    (secret,) = iam.resources_of(key_admin, "secretsmanager:PutSecretValue")
    assert ":secret:depot/dev/api-keys-" in secret


@pytest.mark.parametrize(("role_name", "subject"), sorted(IRSA_SUBJECTS.items()))
def test_irsa_role_trusts_one_service_account_with_sub_and_aud(
    roles: dict[str, dict[str, Any]], role_name: str, subject: str
) -> None:
    (statement,) = iam.statements(roles[role_name]["trust"])
    assert statement.actions == ("sts:AssumeRoleWithWebIdentity",)
    assert set(statement.condition) == {"StringEquals"}
    conditions = statement.condition["StringEquals"]
    (issuer,) = {key.rsplit(":", 1)[0] for key in conditions}
    assert conditions == {f"{issuer}:sub": subject, f"{issuer}:aud": "sts.amazonaws.com"}


def test_service_role_s3_confinement_holds_with_iam_enforced(dev_run: RootRun) -> None:
    assert dev_run.require().snapshot["enforced"] == CONFINED


# --- the checks themselves can fail: documents that must be flagged.

ADMIN = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
NOT_ACTION = {"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}
SCOPED = {
    "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b/*"}]
}
DENY_ALL = {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}


@pytest.mark.parametrize(
    ("document", "flagged"), [(ADMIN, True), (NOT_ACTION, True), (SCOPED, False), (DENY_ALL, False)]
)
def test_wildcard_detector(document: dict[str, Any], flagged: bool) -> None:
    assert bool(iam.full_wildcard_actions(document)) is flagged


def test_star_resource_detector() -> None:
    assert iam.star_resource_actions(ADMIN) == {"*"}
    assert iam.star_resource_actions(SCOPED) == set()
