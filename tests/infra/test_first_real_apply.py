"""What the emulator cannot see, proven by the policies' and plans' meaning: each test
names the defect of issue 10 it keeps from coming back (ADRs 0025-0027).

Policies are read back from the applied roots (or taken from the plans with the real
account's settings) and evaluated with principalmapper's policy simulation
(tests/infra/policy_eval.py): conditions, NotResource, explicit denies and resource
policies included."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.infra import policy_eval as pe
from tests.infra.lifecycle import RootRun
from tests.infra.plans import planned
from tests.infra.workspace import EMULATOR_ACCOUNT_ID
from tests.support.tools import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

ACCOUNT = EMULATOR_ACCOUNT_ID
ROLE = f"arn:aws:iam::{ACCOUNT}:role"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def prod(prod_plan: RootRun) -> dict[str, Any]:
    return dict(prod_plan.require(step="plan").snapshot["plan"])


@pytest.fixture(scope="module")
def dev_roles(dev_run: RootRun) -> dict[str, dict[str, Any]]:
    return dict(dev_run.require().snapshot["roles"])


def node(roles: dict[str, dict[str, Any]], name: str, *extra: str) -> Any:
    role = roles[name]
    documents = dict(role["inline"])
    for arn in role["attached"]:
        documents[arn] = pe.aws_managed_policy(arn.rsplit("/", 1)[1])
    for name_ in extra:
        documents[name_] = pe.aws_managed_policy(name_)
    return pe.principal(role["arn"], documents)


def module_config(plan: dict[str, Any], *path: str) -> dict[str, Any]:
    config = plan["configuration"]["root_module"]
    for name in path:
        config = config["module_calls"][name]["module"]
    return dict(config)


# --- 1. WAF: binary bodies are not blocked by the core rule set's body rules.

BODY_RULES = {
    "SizeRestrictions_BODY",
    "CrossSiteScripting_BODY",
    "GenericLFI_BODY",
    "GenericRFI_BODY",
    "EC2MetaDataSSRF_BODY",
}


def binary_body_paths() -> list[str]:
    """The service's routes that take application/octet-stream bodies, with a sample id."""
    source = (ROOT / "services/depot/src/depot/routes_documents.py").read_text()
    prefix = re.search(r'prefix="([^"]+)"', source)
    assert prefix
    paths = []
    for match in re.finditer(
        r'@router\.(put|post|patch)\(\s*"([^"]*)"(.*?)\)\nasync def', source, re.S
    ):
        if "application/octet-stream" in match.group(3):
            paths.append(
                prefix.group(1) + re.sub(r"\{[^}]+\}", "01JDOCUMENTID0000000000000", match.group(2))
            )
    return paths


def test_the_service_has_binary_body_paths() -> None:
    assert binary_body_paths() == ["/v1/documents/01JDOCUMENTID0000000000000/content"]


def test_waf_body_rules_only_count_on_binary_body_paths(prod: dict[str, Any]) -> None:
    (acl,) = planned(prod, "aws_wafv2_web_acl").values()
    rules = {r["name"]: r for r in acl["rule"]}
    general = rules["AWSManagedRulesCommonRuleSet"]["statement"][0]["managed_rule_group_statement"][
        0
    ]
    binary = rules["AWSManagedRulesCommonRuleSet-binary-bodies"]["statement"][0][
        "managed_rule_group_statement"
    ][0]
    assert general["name"] == binary["name"] == "AWSManagedRulesCommonRuleSet"
    assert general["rule_action_override"] == [], "the rule set blocks in full elsewhere"
    assert "not_statement" in general["scope_down_statement"][0]
    overrides = {o["name"]: o["action_to_use"][0] for o in binary["rule_action_override"]}
    assert set(overrides) == BODY_RULES
    assert all(set(a) == {"count"} and a["count"] for a in overrides.values()) or all(
        "count" in a for a in overrides.values()
    )
    assert "regex_pattern_set_reference_statement" in binary["scope_down_statement"][0]
    (pattern_set,) = planned(prod, "aws_wafv2_regex_pattern_set").values()
    regexes = [r["regex_string"] for r in pattern_set["regular_expression"]]
    for path in binary_body_paths():
        assert any(re.search(r, path) for r in regexes), f"{path} is not exempted"
    for json_path in ("/v1/documents", "/v1/documents/01JDOCUMENTID0000000000000"):
        assert not any(re.search(r, json_path) for r in regexes), json_path


# --- 2. VPC CNI before the nodes; the node roles hold no CNI rights.


def test_vpc_cni_is_created_before_the_node_group(prod: dict[str, Any]) -> None:
    eks = module_config(prod, "environment", "eks")
    resources = {r["address"]: r for r in eks["resources"]}
    node_group = resources["aws_eks_node_group.system"]
    assert "aws_eks_addon.before_nodes" in node_group.get("depends_on", [])
    assert "aws_eks_node_group.system" not in resources["aws_eks_addon.before_nodes"].get(
        "depends_on", []
    )
    before = {
        v["addon_name"] for a, v in planned(prod, "aws_eks_addon").items() if "before_nodes" in a
    }
    assert before == {"vpc-cni", "kube-proxy"}


def test_addon_versions_are_pinned(prod: dict[str, Any]) -> None:
    versions = {
        v["addon_name"]: v["addon_version"] for v in planned(prod, "aws_eks_addon").values()
    }
    assert len(versions) == 4
    assert all(re.fullmatch(r"v\d+\.\d+\.\d+-eksbuild\.\d+", v or "") for v in versions.values())


# --- 3. Karpenter can look up an instance profile that does not exist yet.


def test_karpenter_reads_a_missing_instance_profile(dev_roles: dict[str, dict[str, Any]]) -> None:
    karpenter = node(dev_roles, "depot-dev-karpenter")
    profile = f"arn:aws:iam::{ACCOUNT}:instance-profile/depot-dev_1234567890"
    # A profile that does not exist has no tags: no aws:ResourceTag in the request.
    assert pe.allowed(karpenter, "iam:GetInstanceProfile", profile)
    assert not pe.allowed(karpenter, "iam:DeleteInstanceProfile", profile), "writes stay tag-scoped"


# --- 4. IMDS reachable from pods (two hops) for the controllers.


def test_node_launch_template_allows_two_imds_hops(prod: dict[str, Any]) -> None:
    (template,) = planned(prod, "aws_launch_template").values()
    (metadata,) = template["metadata_options"]
    assert metadata["http_tokens"] == "required"
    assert metadata["http_put_response_hop_limit"] == 2


# --- 5 and 10. CI plans refresh the API-key secret but read no tenant data.


@pytest.fixture(scope="module")
def plan_role(dev_roles: dict[str, dict[str, Any]]) -> Any:
    return node(dev_roles, "depot-ci-terraform-plan")


def test_plan_role_can_refresh_the_api_key_secret(plan_role: Any) -> None:
    secret = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:depot/dev/api-keys-AbCdEf"
    assert pe.allowed(plan_role, "secretsmanager:GetSecretValue", secret)
    key = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    via = {
        "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com",
        "kms:EncryptionContext:SecretARN": secret,
    }
    assert pe.allowed(plan_role, "kms:Decrypt", key, via)
    assert not pe.allowed(plan_role, "kms:Decrypt", key), "only through Secrets Manager"


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("dynamodb:GetItem", f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/depot-dev-documents"),
        ("dynamodb:Query", f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/depot-dev-documents"),
        ("dynamodb:Scan", f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/depot-dev-documents"),
        (
            "dynamodb:BatchGetItem",
            f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/depot-dev-documents",
        ),
        ("s3:GetObject", f"arn:aws:s3:::depot-dev-content-{ACCOUNT}/tenants/t1/doc"),
        (
            "logs:GetLogEvents",
            f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/eks/depot-dev/cluster:log-stream:x",
        ),
        (
            "secretsmanager:GetSecretValue",
            f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:platform/grafana-AbCdEf",
        ),
    ],
)
def test_plan_role_reads_no_tenant_data(plan_role: Any, action: str, resource: str) -> None:
    readonly = pe.principal(
        "arn:aws:iam::1:role/x", {"ReadOnlyAccess": pe.aws_managed_policy("ReadOnlyAccess")}
    )
    if not action.startswith("secretsmanager:"):  # ReadOnlyAccess has no secret values
        assert pe.allowed(readonly, action, resource), "ReadOnlyAccess alone grants it"
    assert not pe.allowed(plan_role, action, resource)


def test_plan_role_still_reads_its_own_state(plan_role: Any) -> None:
    state = "arn:aws:s3:::depot-tfstate-444444444444/live/dev/terraform.tfstate"
    assert pe.allowed(plan_role, "s3:GetObject", state)


# --- 6 and 8. State: administrators reach their root's state; nobody else's.


@pytest.fixture(scope="module")
def state_bucket_policy(shared_run: RootRun) -> dict[str, Any]:
    plan = shared_run.require().snapshot["bootstrap_real_plan"]
    (policy,) = [
        json.loads(c["change"]["after"]["policy"])
        for c in plan["resource_changes"]
        if c["type"] == "aws_s3_bucket_policy"
    ]
    return dict(policy)


BUCKET = "arn:aws:s3:::depot-tfstate-123456789012"
SSO = "role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_PlatformAdmin_0123456789abcdef"


@pytest.mark.parametrize(
    ("principal_arn", "prefix", "expected"),
    [
        # The documented first apply of dev, by dev's administrator (blocker 6).
        (f"arn:aws:iam::111111111111:{SSO}", "live/dev/", True),
        ("arn:aws:iam::111111111111:role/depot-ci-terraform-apply", "live/dev/", True),
        (f"arn:aws:iam::111111111111:{SSO}", "live/prod/", False),
        ("arn:aws:iam::333333333333:role/depot-ci-terraform-apply", "live/prod/", True),
        # The shared account's CI roles manage s3 there: prod's state stays out of reach (8).
        (f"arn:aws:iam::{ACCOUNT}:role/depot-ci-terraform-apply", "live/prod/", False),
        (f"arn:aws:iam::{ACCOUNT}:role/depot-ci-terraform-apply", "live/shared/", True),
        (f"arn:aws:iam::{ACCOUNT}:{SSO}", "live/prod/", True),
    ],
)
def test_state_bucket_policy_partitions_the_state(
    state_bucket_policy: dict[str, Any], principal_arn: str, prefix: str, expected: bool
) -> None:
    account = principal_arn.split(":")[4]
    # The principal's own IAM policy allows S3 (an administrator; a CI role with s3:*): the
    # bucket policy decides.
    who = pe.principal(
        principal_arn,
        {"s3": {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}},
    )
    obj = f"{BUCKET}/{prefix}terraform.tfstate"
    for action in ("s3:GetObject", "s3:PutObject"):
        decision = pe.allowed(
            who, action, obj, resource_policy=state_bucket_policy, resource_owner=ACCOUNT
        )
        assert decision is expected, (principal_arn, action, obj)
    del account


def test_state_objects_are_encrypted_with_the_state_key(
    shared_run: RootRun, dev_run: RootRun
) -> None:
    for run in (shared_run.require(), dev_run.require()):
        encryption = run.snapshot["state_encryption"]
        assert encryption["sse"] == "aws:kms", run.name
        assert encryption["key"].endswith(run.snapshot["state_key_arn"].rsplit("/", 1)[1]), run.name


# --- 7. The certificate is validated in a zone that exists before the apply.


def test_no_zone_is_created_with_the_certificate(prod: dict[str, Any]) -> None:
    assert planned(prod, "aws_route53_zone") == {}
    env = module_config(prod, "environment")
    assert any(r["address"] == "data.aws_route53_zone.this" for r in env["resources"])


# --- 9. The apply role cannot make itself an administrator.


def test_the_escalation_is_found_on_the_old_apply_policy() -> None:
    old = json.loads((FIXTURES / "apply-policy-before-adr-0026.json").read_text())
    apply = pe.principal(f"{ROLE}/depot-ci-terraform-apply", {"manage-platform": old})
    assert pe.role_creation_escalation(apply, ACCOUNT) == [f"{ROLE}/depot-escalate"]


def test_no_role_of_the_environment_can_escalate(dev_roles: dict[str, dict[str, Any]]) -> None:
    for name in dev_roles:
        assert pe.role_creation_escalation(node(dev_roles, name), ACCOUNT) == [], name


def test_apply_role_creates_roles_only_with_the_boundary(
    dev_roles: dict[str, dict[str, Any]],
) -> None:
    apply = node(dev_roles, "depot-ci-terraform-apply")
    boundary = f"arn:aws:iam::{ACCOUNT}:policy/depot-ci-workload-boundary"
    role = f"{ROLE}/depot-dev-new"
    assert pe.allowed(apply, "iam:CreateRole", role, {"iam:PermissionsBoundary": boundary})
    assert not pe.allowed(apply, "iam:CreateRole", role)
    assert not pe.allowed(
        apply,
        "iam:AttachRolePolicy",
        role,
        {"iam:PermissionsBoundary": boundary, "iam:PolicyARN": pe.ADMINISTRATOR_ACCESS},
    )
    assert not pe.allowed(apply, "iam:DeleteRolePermissionsBoundary", role)
    assert not pe.allowed(apply, "iam:CreatePolicyVersion", boundary), "the boundary is CI's own"


@pytest.fixture(scope="module")
def staging(staging_plan: RootRun) -> dict[str, Any]:
    return dict(staging_plan.require(step="plan").snapshot["plan"])


def test_the_apply_role_manages_the_roles_of_a_service_not_named_after_the_platform(
    staging: dict[str, Any],
) -> None:
    # Service roles are named SERVICE-ENVIRONMENT (service-identity); staging is planned
    # with a second service, `ledger`. CI's apply role must be able to create each planned
    # role (bounded), and a name that belongs to no service stays refused.
    (document,) = [
        values["policy"]
        for address, values in planned(staging, "aws_iam_role_policy").items()
        if address.endswith("module.ci.aws_iam_role_policy.apply[0]") and "policy" in values
    ]
    apply = pe.principal(f"{ROLE}/depot-ci-terraform-apply", {"manage": json.loads(document)})
    boundary = {
        "iam:PermissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/depot-ci-workload-boundary"
    }
    roles = {values["name"] for values in planned(staging, "aws_iam_role").values()}
    assert "ledger-staging" in roles, sorted(roles)
    assert "verifier-staging" in roles, "the event service's role (ADR 0028)"
    refused = sorted(
        name
        for name in roles
        if not name.startswith("depot-ci-")  # CI's own roles: created by the administrator
        and not pe.allowed(apply, "iam:CreateRole", f"{ROLE}/{name}", boundary)
    )
    assert not refused, f"the apply role cannot create {refused}"
    assert not pe.allowed(apply, "iam:CreateRole", f"{ROLE}/intruder-staging", boundary)
    assert not pe.allowed(apply, "iam:CreateRole", f"{ROLE}/ledger-staging"), "unbounded"


def test_every_platform_role_carries_the_boundary(dev_roles: dict[str, dict[str, Any]]) -> None:
    boundary = f"arn:aws:iam::{ACCOUNT}:policy/depot-ci-workload-boundary"
    unbounded = sorted(
        name
        for name, role in dev_roles.items()
        if not name.startswith("depot-ci-") and role["boundary"] != boundary
    )
    assert not unbounded, unbounded


# --- Smaller: what must outlive a destroy, and whom the services' roles trust.

# Terraform reports a refusal where the destroy walk reaches it; the data and backup keys
# sit behind the table, bucket, secret and vault that refuse first (their own
# prevent_destroy is checked on the code by test_stateful_keys_are_protected_too).
STATEFUL = {
    "module.environment.aws_kms_key.logs",
    'module.environment.module.data["depot"].aws_dynamodb_table.documents',
    'module.environment.module.data["depot"].aws_s3_bucket.content',
    'module.environment.module.data["depot"].aws_secretsmanager_secret.api_keys',
    "module.environment.module.edge_and_audit.aws_s3_bucket.trail",
    "module.environment.module.edge_and_audit.aws_kms_key.trail",
    "module.environment.module.edge_and_audit.aws_backup_vault.this",
}


def test_terraform_refuses_to_destroy_stateful_resources(dev_run: RootRun) -> None:
    """A destroy planned with the committed code (prevent_destroy intact) is refused for
    every stateful resource; the tests' own copies turn it off to clean up."""
    refused = set(dev_run.require().snapshot["refused_to_destroy"])
    assert refused >= STATEFUL, sorted(STATEFUL - refused)


@pytest.mark.parametrize(
    ("path", "resource"),
    [
        ("modules/service-data/main.tf", 'resource "aws_kms_key" "data"'),
        ("modules/edge-and-audit/backup.tf", 'resource "aws_kms_key" "backup"'),
    ],
)
def test_stateful_keys_are_protected_too(path: str, resource: str) -> None:
    text = (ROOT / "infra" / path).read_text()
    block = text[text.index(resource) :].split("\n}\n", 1)[0]
    assert "prevent_destroy = true" in block, resource


def test_audit_log_groups_outlive_a_destroy(prod: dict[str, Any]) -> None:
    groups = {v["name"]: v for v in planned(prod, "aws_cloudwatch_log_group").values()}
    for name in ("/aws/eks/depot-prod/cluster", "/aws/cloudtrail/depot-prod-audit"):
        assert groups[name]["skip_destroy"] is True, name


def test_trail_bucket_is_write_once(prod: dict[str, Any]) -> None:
    buckets = {v["bucket"]: v for v in planned(prod, "aws_s3_bucket").values()}
    trail = next(v for name, v in buckets.items() if "-cloudtrail-" in name)
    assert trail["object_lock_enabled"] is True
    (lock,) = planned(prod, "aws_s3_bucket_object_lock_configuration").values()
    (retention,) = lock["rule"][0]["default_retention"]
    assert retention["mode"] == "COMPLIANCE"
    assert retention["days"] == 2557  # prod's trail_retention_days


def test_backup_vault_is_locked(prod: dict[str, Any]) -> None:
    (lock,) = planned(prod, "aws_backup_vault_lock_configuration").values()
    assert lock["min_retention_days"] == 35  # prod's backup_retention_days


@pytest.mark.parametrize(
    ("role", "keys"),
    [
        ("depot-dev-vpc-flow-logs", {"aws:SourceAccount", "aws:SourceArn"}),
        ("depot-dev-cloudtrail-to-logs", {"aws:SourceAccount", "aws:SourceArn"}),
        ("depot-dev-backup", {"aws:SourceAccount"}),
    ],
)
def test_service_principal_trusts_name_their_source(
    dev_roles: dict[str, dict[str, Any]], role: str, keys: set[str]
) -> None:
    (statement,) = dev_roles[role]["trust"]["Statement"]
    named = {k for block in statement["Condition"].values() for k in block}
    assert keys <= named, named
    assert ACCOUNT in json.dumps(statement["Condition"])


def test_karpenter_queue_takes_messages_only_from_its_rules(dev_run: RootRun) -> None:
    policy = json.loads(dev_run.require().snapshot["queue"]["Policy"])
    (deliver,) = [s for s in policy["Statement"] if s["Sid"] == "EventBridgeAndSqsDeliver"]
    (arns,) = deliver["Condition"]["ArnLike"].values()
    arns = [arns] if isinstance(arns, str) else arns
    assert arns and all(":rule/depot-dev-karpenter-" in a for a in arns)


def test_data_key_only_through_the_data_services(dev_roles: dict[str, dict[str, Any]]) -> None:
    service = node(dev_roles, "depot-dev")
    key = next(
        r
        for doc in dev_roles["depot-dev"]["inline"].values()
        for s in doc["Statement"]
        if s.get("Sid") == "UseDataKey"
        for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
    )
    assert pe.allowed(service, "kms:Decrypt", key, {"kms:ViaService": "s3.eu-west-1.amazonaws.com"})
    assert not pe.allowed(service, "kms:Decrypt", key), "direct decryption"


def test_service_lists_only_under_tenants(dev_roles: dict[str, dict[str, Any]]) -> None:
    service = node(dev_roles, "depot-dev")
    bucket = f"arn:aws:s3:::depot-dev-content-{ACCOUNT}"
    assert pe.allowed(service, "s3:ListBucket", bucket, {"s3:prefix": "tenants/t1/"})
    assert pe.allowed(service, "s3:ListBucket", bucket), "HeadBucket (no prefix)"
    assert not pe.allowed(service, "s3:ListBucket", bucket, {"s3:prefix": "other/"})
