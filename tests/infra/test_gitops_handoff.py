"""The hand-off from Terraform to the GitOps values: what an environment's values files
say about its AWS resources must be what Terraform creates there.

dev is checked against the outputs of the applied root (the emulator's account id
123456789012 replaced by dev's 111111111111); staging and prod against their plans (the
planned names, in the account of their terraform.tfvars). Certificate and web ACL ARNs
end in ids AWS assigns at creation, so only everything before the id is compared.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from tests.infra.lifecycle import RootRun
from tests.infra.plans import planned
from tests.infra.workspace import EMULATOR_ACCOUNT_ID, INFRA
from tests.support.tools import ROOT

# The first test waits for the roots' lifecycles (minutes), which run in the background.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

GITOPS = ROOT / "gitops"
SERVICE = "depot"


def account_of(environment: str) -> str:
    tfvars = (INFRA / "live" / environment / "terraform.tfvars").read_text()
    match = re.search(r'^account_id\s*=\s*"(\d{12})"', tfvars, re.M)
    assert match, f"infra/live/{environment}/terraform.tfvars has no account_id"
    return match.group(1)


def tfvar(environment: str, name: str) -> str:
    tfvars = (INFRA / "live" / environment / "terraform.tfvars").read_text()
    match = re.search(rf'^{name}\s*=\s*"([^"]+)"', tfvars, re.M)
    assert match, f"infra/live/{environment}/terraform.tfvars has no {name}"
    return match.group(1)


def substitute(value: Any, account: str) -> Any:
    if isinstance(value, str):
        return value.replace(EMULATOR_ACCOUNT_ID, account)
    if isinstance(value, list):
        return [substitute(v, account) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, account) for k, v in value.items()}
    return value


def load(path: Path) -> dict[str, Any]:
    # A missing values file is a broken hand-off, not something to skip.
    assert path.exists(), f"{path.relative_to(ROOT)} is missing: the GitOps values must exist"
    return dict(yaml.safe_load(path.read_text()) or {})


def service_values(environment: str, service: str = SERVICE) -> dict[str, Any]:
    """A service's values for one environment: shared file, then environment file."""
    shared = load(GITOPS / "services" / f"{service}.yaml")
    env = load(GITOPS / "environments" / environment / f"{service}.yaml")
    merged = {**shared, **env}
    merged["env"] = {**shared.get("env", {}), **env.get("env", {})}
    return merged


def assert_service_values_match(values: dict[str, Any], expected: dict[str, Any]) -> None:
    assert values["serviceAccount"]["roleArn"] == expected["serviceAccount"]["roleArn"]
    for name, value in expected["env"].items():
        assert values["env"].get(name) == value, f"env.{name}"
    assert values["ingress"]["host"] == expected["ingress"]["host"]
    # The role allows objects under tenants/ only (service-identity object_prefix).
    assert values["env"].get("DEPOT_S3_PREFIX", "tenants") == "tenants"
    assert values["networkPolicy"]["ingressCidrs"] == expected["networkPolicy"]["ingressCidrs"]


def arn_prefix(arn: str) -> str:
    """An ARN without its AWS-assigned id (the last path segment)."""
    return arn.rsplit("/", 1)[0] + "/"


# --- dev: against the applied root's outputs.


@pytest.fixture(scope="module")
def dev(dev_run: RootRun) -> dict[str, Any]:
    return dict(substitute(dev_run.require().outputs, account_of("dev")))


def test_dev_service_values_match_the_applied_root(dev: dict[str, Any]) -> None:
    expected = dev["gitops_values"][SERVICE]
    values = service_values("dev")
    assert_service_values_match(values, expected)
    assert arn_prefix(values["ingress"]["certificateArn"]) == arn_prefix(
        expected["ingress"]["certificateArn"]
    )
    assert arn_prefix(values["ingress"]["wafAclArn"]) == arn_prefix(
        expected["ingress"]["wafAclArn"]
    )


def addon_roles(environment: str) -> dict[str, str]:
    folder = GITOPS / "platform" / "addons" / "environments" / environment
    assert folder.is_dir(), f"{folder.relative_to(ROOT)} is missing: add-on values must exist"
    roles = {}
    for path in sorted(folder.glob("*.yaml")):
        values = load(path)
        # Most charts name the account at the top; policy-controller under webhook.
        account = values.get("serviceAccount") or values.get("webhook", {}).get("serviceAccount")
        if account:
            roles[path.stem] = account["annotations"]["eks.amazonaws.com/role-arn"]
    return roles


def test_dev_addon_roles_and_loki_bucket_match_the_applied_root(dev: dict[str, Any]) -> None:
    roles = addon_roles("dev")
    assert roles, "no add-on declares an IRSA role"
    for component, arn in roles.items():
        assert dev["platform_roles"].get(component) == arn, component
    loki = load(GITOPS / "platform" / "addons" / "environments" / "dev" / "loki.yaml")
    assert set(loki["loki"]["storage"]["bucketNames"].values()) == {dev["loki_bucket_name"]}
    alb = load(
        GITOPS
        / "platform"
        / "addons"
        / "environments"
        / "dev"
        / "aws-load-balancer-controller.yaml"
    )
    assert alb["clusterName"] == dev["cluster_name"]


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_load_balancer_controller_gets_the_vpc_id_output(
    environment: str, dev_run: RootRun
) -> None:
    """The controller cannot rely on IMDS for its VPC: vpcId is set in its values, from
    the root's `vpc_id` output (whose value AWS assigns, so the id itself is copied after
    the first apply; the comment names the output it comes from)."""
    path = GITOPS / "platform" / "addons" / "environments" / environment
    text = (path / "aws-load-balancer-controller.yaml").read_text()
    values = yaml.safe_load(text)
    assert re.fullmatch(r"vpc-[0-9a-f]{8,17}", values.get("vpcId", "")), values.get("vpcId")
    assert "vpc_id" in text and f"infra/live/{environment}" in text
    outputs = dev_run.require().outputs
    assert re.fullmatch(r"vpc-[0-9a-f]+", outputs["vpc_id"]), "the root outputs vpc_id"


def test_karpenter_node_class_matches_the_applied_root(dev: dict[str, Any]) -> None:
    node_class = load(GITOPS / "platform" / "karpenter" / "nodeclass.yaml")["spec"]
    assert node_class["role"] == dev["karpenter"]["node_role_name"]
    tag = dev["karpenter"]["discovery_tag"]
    for terms in (node_class["subnetSelectorTerms"], node_class["securityGroupSelectorTerms"]):
        assert terms == [{"tags": {"karpenter.sh/discovery": tag}}]


# --- staging and prod: against their plans.


def planned_names(
    plan: dict[str, Any], resource_type: str, attribute: str, within: str = ""
) -> set[str]:
    """`attribute` of every planned `resource_type` whose address contains `within`."""
    return {
        v[attribute]
        for address, v in planned(plan, resource_type).items()
        if v.get(attribute) and within in address
    }


# The service's own data module: a plan may hold other services too (staging holds two).
OWN_DATA = f'module.data["{SERVICE}"]'


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_planned_environment_matches_its_values(
    environment: str, request: pytest.FixtureRequest
) -> None:
    run: RootRun = request.getfixturevalue(f"{environment}_plan").require(step="plan")
    plan = run.snapshot["plan"]
    account = account_of(environment)
    values = service_values(environment)
    roles = planned_names(plan, "aws_iam_role", "name")
    assert f"{SERVICE}-{environment}" in roles
    zone = tfvar(environment, "dns_zone_name")
    expected = {
        "serviceAccount": {"roleArn": f"arn:aws:iam::{account}:role/{SERVICE}-{environment}"},
        "env": {
            "DEPOT_TABLE_NAME": next(
                iter(planned_names(plan, "aws_dynamodb_table", "name", OWN_DATA))
            ),
            "DEPOT_BUCKET_NAME": substitute(
                f"{SERVICE}-{environment}-content-{EMULATOR_ACCOUNT_ID}", account
            ),
            "DEPOT_KEYS_SECRET_ID": next(
                iter(planned_names(plan, "aws_secretsmanager_secret", "name", OWN_DATA))
            ),
            "AWS_REGION": "eu-west-1",
        },
        "ingress": {"host": f"{SERVICE}.{zone}"},
        "networkPolicy": {
            "ingressCidrs": sorted(
                v["cidr_block"] for a, v in planned(plan, "aws_subnet").items() if ".public[" in a
            )
        },
    }
    buckets = {substitute(name, account) for name in planned_names(plan, "aws_s3_bucket", "bucket")}
    assert expected["env"]["DEPOT_BUCKET_NAME"] in buckets
    assert_service_values_match(values, expected)
    waf = next(iter(planned_names(plan, "aws_wafv2_web_acl", "name")))
    assert (
        arn_prefix(values["ingress"]["wafAclArn"])
        == f"arn:aws:wafv2:eu-west-1:{account}:regional/webacl/{waf}/"
    )
    for component, arn in addon_roles(environment).items():
        assert arn == f"arn:aws:iam::{account}:role/{SERVICE}-{environment}-{component}", component
        assert f"{SERVICE}-{environment}-{component}" in roles, component


# --- The event-driven worker (ADR 0028, 0097): its role and queue, and KEDA's role.

WORKER = "verifier"


def keda_role(environment: str) -> str:
    keda = load(GITOPS / "platform" / "addons" / "environments" / environment / "keda.yaml")
    return str(keda["podIdentity"]["aws"]["irsa"]["roleArn"])


def assert_worker_values_match(values: dict[str, Any], role: str, queue_path: str) -> None:
    assert values["serviceAccount"]["roleArn"] == role
    queue_url = values["env"]["VERIFIER_QUEUE_URL"]
    # The emulator answers with its own host; the account and queue name are the hand-off.
    assert urlparse(queue_url).path == queue_path
    assert values["autoscaling"]["sqsQueue"]["queueURL"] == queue_url
    assert values["autoscaling"]["sqsQueue"]["awsRegion"] == "eu-west-1"


def test_dev_worker_values_match_the_applied_root(dev: dict[str, Any]) -> None:
    out = dev["event_services"][WORKER]
    values = service_values("dev", WORKER)
    assert_worker_values_match(values, out["role_arn"], urlparse(out["queue_url"]).path)
    assert out["aws_region"] == "eu-west-1"
    # The worker reads and annotates its source service's records and objects.
    source = dev["gitops_values"][SERVICE]["env"]
    assert values["env"]["VERIFIER_TABLE_NAME"] == source["DEPOT_TABLE_NAME"]
    assert values["env"]["VERIFIER_BUCKET_NAME"] == source["DEPOT_BUCKET_NAME"]
    assert keda_role("dev") == dev["keda_operator_role_arn"]


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_planned_worker_matches_its_values(
    environment: str, staging_plan: RootRun, prod_plan: RootRun
) -> None:
    # Both plans as fixtures (not looked up by name), so a selection of this test alone
    # starts them (tests/infra/conftest.py, runs_needed).
    run = {"staging": staging_plan, "prod": prod_plan}[environment].require(step="plan")
    plan = run.snapshot["plan"]
    account = account_of(environment)
    roles = planned_names(plan, "aws_iam_role", "name")
    queues = planned_names(plan, "aws_sqs_queue", "name")
    name = f"{WORKER}-{environment}"
    assert name in roles and name in queues and f"{name}-dlq" in queues
    values = service_values(environment, WORKER)
    assert_worker_values_match(values, f"arn:aws:iam::{account}:role/{name}", f"/{account}/{name}")
    assert values["env"]["VERIFIER_TABLE_NAME"] == next(
        iter(planned_names(plan, "aws_dynamodb_table", "name", OWN_DATA))
    )
    keda = f"{SERVICE}-{environment}-keda-operator"
    assert keda in roles
    assert keda_role(environment) == f"arn:aws:iam::{account}:role/{keda}"
