"""What the emulator cannot apply is still proven by the plan for a real account: the
EKS add-ons (network policy enforcement on), the access entries (humans and machines
apart, CI nowhere), the backup selection and the TLS-only bucket policies; and the
staging/prod roots plan with their own shape (NAT per AZ, private endpoint, deletion
protection, read-only developers, cross-region backup copies)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.infra.lifecycle import RootRun
from tests.infra.plans import one, planned

# The first test waits for the roots' lifecycles (minutes), which run in the background.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

EKS_POLICY = "arn:aws:eks::aws:cluster-access-policy/"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dev_plan(dev_run: RootRun) -> dict[str, Any]:
    """The applied dev root, planned with aws_api_emulator = false (its real settings)."""
    return dict(dev_run.require().snapshot["real_account_plan"])


@pytest.fixture(scope="module", params=["staging", "prod"])
def env_plan(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    run: RootRun = request.getfixturevalue(f"{request.param}_plan").require(step="plan")
    return request.param, dict(run.snapshot["plan"])


def test_vpc_cni_addon_enforces_network_policies(dev_plan: dict[str, Any]) -> None:
    addons = {v["addon_name"]: v for v in planned(dev_plan, "aws_eks_addon").values()}
    assert set(addons) == {"vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver"}
    assert json.loads(addons["vpc-cni"]["configuration_values"]) == {"enableNetworkPolicy": "true"}


def access(plan: dict[str, Any]) -> dict[str, tuple[str, str, list[str]]]:
    """principal => (policy name, scope type, namespaces) of every planned association."""
    found = {}
    for value in planned(plan, "aws_eks_access_policy_association").values():
        scope = value["access_scope"][0]
        found[value["principal_arn"]] = (
            value["policy_arn"].removeprefix(EKS_POLICY),
            scope["type"],
            scope.get("namespaces") or [],
        )
    return found


def test_dev_access_entries_separate_admins_developers_and_give_ci_nothing(
    dev_plan: dict[str, Any],
) -> None:
    entries = {
        v["principal_arn"]: v["type"] for v in planned(dev_plan, "aws_eks_access_entry").values()
    }
    assert not [arn for arn in entries if ":role/depot-ci-" in arn], (
        "CI must have no cluster access"
    )
    admin = "arn:aws:iam::111111111111:role/AWSReservedSSO_PlatformAdmin_0123456789abcdef"
    developer = "arn:aws:iam::111111111111:role/AWSReservedSSO_Developer_0123456789abcdef"
    # Only the admins hold an EKS access policy; developers are mapped to groups whose
    # rights are the namespace's RoleBindings.
    assert access(dev_plan) == {admin: ("AmazonEKSClusterAdminPolicy", "cluster", [])}
    assert developer_groups(dev_plan) == {
        developer: ["depot-developers-edit", "depot-developers-view"]
    }
    node_entries = [arn for arn, kind in entries.items() if kind == "EC2_LINUX"]
    assert [arn.rsplit("/", 1)[1] for arn in node_entries] == ["depot-karpenter-node"]


def developer_groups(plan: dict[str, Any]) -> dict[str, list[str]]:
    """principal => Kubernetes groups of every planned developer access entry."""
    return {
        v["principal_arn"]: sorted(v["kubernetes_groups"])  # a set in Terraform
        for address, v in planned(plan, "aws_eks_access_entry").items()
        if ".developer[" in address
    }


def test_every_developer_group_is_bound_in_a_namespace(
    dev_plan: dict[str, Any], env_plan: tuple[str, dict[str, Any]]
) -> None:
    bound = {
        subject["name"]
        for path in (ROOT / "gitops" / "platform" / "namespaces").glob("*.yaml")
        for doc in yaml.safe_load_all(path.read_text())
        if doc and doc.get("kind") == "RoleBinding"
        for subject in doc.get("subjects", [])
        if subject.get("kind") == "Group"
    }
    # Services that GitOps deploys; a service planned in Terraform only (staging's second
    # one) gets its namespace and RoleBindings when it is added to GitOps.
    deployed = {p.stem for p in (ROOT / "gitops" / "services").glob("*.yaml")}
    for plan in (dev_plan, env_plan[1]):
        groups = {
            g
            for gs in developer_groups(plan).values()
            for g in gs
            if g.rsplit("-developers-", 1)[0] in deployed
        }
        assert groups, "developers are mapped to groups"
        assert groups <= bound, f"groups without a RoleBinding: {sorted(groups - bound)}"


def test_cluster_creator_gets_no_admin(
    dev_plan: dict[str, Any], env_plan: tuple[str, dict[str, Any]]
) -> None:
    for plan in (dev_plan, env_plan[1]):
        for cluster in planned(plan, "aws_eks_cluster").values():
            assert cluster["access_config"] == [
                {"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": False}
            ]


def test_backup_selection_covers_table_and_bucket(dev_plan: dict[str, Any]) -> None:
    selection = one(dev_plan, "aws_backup_selection")
    assert sorted(r.split(":")[2] for r in selection["resources"]) == ["dynamodb", "s3"]


def test_buckets_get_tls_only_policies(dev_plan: dict[str, Any]) -> None:
    policies = [
        json.loads(v["policy"])
        for v in planned(dev_plan, "aws_s3_bucket_policy").values()
        if v.get("policy")
    ]
    deny_http = [s for p in policies for s in p["Statement"] if s.get("Sid") == "DenyPlainHttp"]
    # content bucket and Loki bucket (the trail bucket's policy is updated in place).
    assert len(deny_http) >= 2
    assert all(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in deny_http)


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_real_environments_run_one_nat_per_az_behind_a_private_endpoint(
    environment: str, request: pytest.FixtureRequest
) -> None:
    plan = request.getfixturevalue(f"{environment}_plan").require(step="plan").snapshot["plan"]
    assert len(planned(plan, "aws_nat_gateway")) == 3
    routes = planned(plan, "aws_route")
    assert len([r for a, r in routes.items() if "private_egress" in a]) == 3
    (cluster,) = planned(plan, "aws_eks_cluster").values()
    assert cluster["vpc_config"][0]["endpoint_public_access"] is False
    table = one(plan, "aws_dynamodb_table", 'module.data["depot"]')
    assert table["deletion_protection_enabled"] is True
    assert one(plan, "aws_s3_bucket", 'module.data["depot"]')["force_destroy"] is False
    assert not [k for k in access(plan) if "Developer" in k], "developers hold no EKS policy"
    services = plan["variables"]["services"]["value"]
    assert list(developer_groups(plan).values()) == [[f"{s}-developers-view" for s in services]]


def test_prod_copies_backups_to_another_region(prod_plan: RootRun) -> None:
    plan = prod_plan.require(step="plan").snapshot["plan"]
    (rule,) = one(plan, "aws_backup_plan")["rule"]
    assert len(rule["copy_action"]) == 1
    assert rule["lifecycle"][0]["delete_after"] == 35
    assert len(planned(plan, "aws_backup_vault")) == 2


def test_staging_keeps_backups_in_region(staging_plan: RootRun) -> None:
    plan = staging_plan.require(step="plan").snapshot["plan"]
    (rule,) = one(plan, "aws_backup_plan")["rule"]
    assert rule["copy_action"] == []
