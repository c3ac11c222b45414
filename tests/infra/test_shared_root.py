"""infra/live/shared (with its bootstrap) applied for real on the emulator: the state
bucket, the image registry and CI's identities, then no drift, then nothing left."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra import iam
from tests.infra.lifecycle import RootRun
from tests.infra.workspace import EMULATOR_ACCOUNT_ID, INFRA
from tools.service_template import listed_services

# The first test waits for the roots' lifecycles (minutes), which run in the background.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

GITHUB = "token.actions.githubusercontent.com"
REPOSITORY = "example-org/depot-platform"
ENVIRONMENT_ACCOUNTS = {"111111111111", "222222222222", "333333333333"}


@pytest.fixture(scope="module")
def run(shared_run: RootRun) -> RootRun:
    return shared_run.require()


def role(run: RootRun, name: str) -> dict[str, Any]:
    roles = run.snapshot["roles"]
    assert name in roles, f"role {name} was not created; roles: {sorted(roles)}"
    return dict(roles[name])


def test_state_bucket_is_versioned_encrypted_and_private(run: RootRun) -> None:
    bucket = run.snapshot["state_bucket"]
    assert bucket["versioning"] == "Enabled"
    rule = bucket["encryption"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert rule["BucketKeyEnabled"] is True
    assert all(bucket["public_access_block"].values()), bucket["public_access_block"]
    assert bucket["ownership"]["Rules"][0]["ObjectOwnership"] == "BucketOwnerEnforced"


def test_state_lock_file_blocks_a_concurrent_plan(run: RootRun) -> None:
    assert run.snapshot["lock_enforced"], "a plan ran while a .tflock object was present"


def test_ecr_repository_is_immutable_scanned_and_kms_encrypted(run: RootRun) -> None:
    repo = run.snapshot["ecr_repository"]
    assert repo["imageTagMutability"] == "IMMUTABLE"
    assert repo["imageScanningConfiguration"]["scanOnPush"] is True
    assert repo["encryptionConfiguration"]["encryptionType"] == "KMS"
    assert run.snapshot["ecr_key"]["rotation"] is True
    assert run.outputs["repository_urls"]["depot"] == (
        f"{EMULATOR_ACCOUNT_ID}.dkr.ecr.eu-west-1.amazonaws.com/depot"
    )


def test_ecr_lifecycle_can_only_expire_untagged_images(run: RootRun) -> None:
    rules = run.snapshot["ecr_lifecycle"]["rules"]
    assert rules, "no lifecycle rule: untagged layers would pile up"
    selections = [r["selection"] for r in rules]
    assert all(s["tagStatus"] == "untagged" for s in selections), selections


def test_ecr_environment_accounts_may_only_pull(run: RootRun) -> None:
    (statement,) = iam.statements(run.snapshot["ecr_policy"])
    principals = statement_principals(run.snapshot["ecr_policy"])
    assert principals == {f"arn:aws:iam::{a}:root" for a in ENVIRONMENT_ACCOUNTS}
    assert set(statement.actions) == {
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
    }


def statement_principals(document: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for s in document["Statement"]:
        value = s["Principal"]["AWS"]
        found |= {value} if isinstance(value, str) else set(value)
    return found


@pytest.mark.parametrize(
    ("role_name", "github_environment"),
    [
        ("depot-ci-image-push", "release"),
        ("depot-ci-terraform-plan", "infra-shared-plan"),
        ("depot-ci-terraform-apply", "infra-shared"),
    ],
)
def test_ci_role_trusts_one_repository_and_one_environment(
    run: RootRun, role_name: str, github_environment: str
) -> None:
    (statement,) = iam.statements(role(run, role_name)["trust"])
    assert statement.actions == ("sts:AssumeRoleWithWebIdentity",)
    assert set(statement.condition) == {"StringEquals"}, "no StringLike: wildcards widen the trust"
    assert statement.condition["StringEquals"] == {
        f"{GITHUB}:aud": "sts.amazonaws.com",
        f"{GITHUB}:sub": f"repo:{REPOSITORY}:environment:{github_environment}",
    }


def test_github_oidc_provider_audience_is_sts(run: RootRun) -> None:
    (provider,) = run.snapshot["oidc_providers"]
    assert provider["url"].endswith(GITHUB)
    assert provider["client_ids"] == ["sts.amazonaws.com"]


def test_image_push_role_reaches_only_its_repository(run: RootRun) -> None:
    push = role(run, "depot-ci-image-push")
    (document,) = push["inline"].values()
    assert push["attached"] == []
    assert not iam.full_wildcard_actions(document)
    # ecr:GetAuthorizationToken has no resource-level permission: AWS requires "*".
    assert iam.star_resource_actions(document) == {"ecr:GetAuthorizationToken"}
    assert all(a.startswith("ecr:") for a in iam.allowed_actions(document))
    repositories = listed_services((INFRA / "live" / "shared" / "terraform.tfvars").read_text())
    assert iam.resources_of(document, "ecr:PutImage") == {
        f"arn:aws:ecr:eu-west-1:{EMULATOR_ACCOUNT_ID}:repository/{name}" for name in repositories
    }


def test_plan_role_is_read_only(run: RootRun) -> None:
    plan = role(run, "depot-ci-terraform-plan")
    assert plan["attached"] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    assert set(plan["inline"]) == {"terraform-state", "no-data-reads"}
    document = plan["inline"]["terraform-state"]
    assert not iam.star_resource_actions(document)
    # The data reads ReadOnlyAccess would allow are denied (policy_eval tests decide them).
    assert {
        s.sid for s in iam.statements(plan["inline"]["no-data-reads"]) if s.effect == "Deny"
    } >= {"DenyTableData", "DenyObjectData", "DenyLogData", "DenyOtherSecrets"}
    # The only writes: the lock file next to its own state.
    assert iam.resources_of(document, "s3:PutObject") == {
        f"arn:aws:s3:::depot-tfstate-{EMULATOR_ACCOUNT_ID}/live/shared/*.tflock"
    }


def test_apply_role_has_no_admin_and_cannot_change_ci_identity(run: RootRun) -> None:
    apply = role(run, "depot-ci-terraform-apply")
    assert apply["attached"] == []
    document = apply["inline"]["manage-platform"]
    assert not iam.full_wildcard_actions(document)
    # Whole-service rights only for the services this root manages (named here).
    assert iam.star_resource_actions(document) == {"ecr:*", "kms:*", "s3:*"}
    iam_resources = {
        r
        for s in iam.allows(document)
        if any(a.startswith("iam:") for a in s.actions)
        for r in s.resources
    }
    assert "iam:*" not in iam.allowed_actions(document), "IAM by named actions only"
    assert iam_resources and all(
        ":role/depot-" in r
        or ":policy/depot-" in r
        or ":instance-profile/depot-" in r
        or ":oidc-provider/oidc.eks." in r
        or ":role/aws-service-role/" in r
        or r.startswith("arn:aws:iam::aws:policy/")
        or r.endswith(":oidc-provider/token.actions.githubusercontent.com")
        for r in iam_resources
    )
    denies = [s for s in iam.statements(document) if s.effect == "Deny"]
    assert any(
        f"arn:aws:iam::{EMULATOR_ACCOUNT_ID}:role/depot-ci-*" in s.resources
        and "iam:Put*" in s.actions
        for s in denies
    )


def test_second_plan_shows_no_changes(run: RootRun) -> None:
    assert run.plan_exit_code == 0, run.plan_text[-3000:]


def test_destroy_leaves_nothing_behind(run: RootRun) -> None:
    assert run.snapshot["state_after_destroy"] == []
    assert run.leftovers == {}, run.leftovers
