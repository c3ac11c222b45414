"""An independent IAM analyser on every policy the applied roots render: parliament
(duo-labs) lints each document against AWS's own action, resource and condition-key
tables. Zero findings, except those justified where the policy is written: a
`# parliament: ISSUE` comment beside the statement in the Terraform file named below."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from tests.infra.lifecycle import RootRun
from tests.infra.workspace import INFRA

with warnings.catch_warnings():
    # parliament imports pkg_resources, deprecated in setuptools (pinned below 81).
    warnings.simplefilter("ignore", UserWarning)
    import parliament

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

FIXTURES = Path(__file__).parent / "fixtures"

# policy label prefix => the Terraform file whose `# parliament: ISSUE` comments justify
# that policy's findings.
SOURCES = {
    "depot-ci-terraform-apply/": "modules/ci-identity/main.tf",
    "depot-ci-terraform-plan/": "modules/ci-identity/main.tf",
    "depot-ci-image-push/": "modules/ci-identity/main.tf",
    "boundary": "modules/ci-identity/main.tf",
    "depot-dev-karpenter/": "modules/eks/karpenter.tf",
    "depot-dev-aws-load-balancer-controller/": "modules/eks/irsa.tf",
    "depot-dev-cloudwatch-exporter/": "modules/eks/irsa.tf",
    "depot-dev-argo-rollouts/": "modules/eks/irsa.tf",
    "depot-dev-external-secrets/": "modules/eks/irsa.tf",
    "depot-dev-loki/": "modules/eks/irsa.tf",
    "depot-dev/": "modules/service-identity/main.tf",
    "verifier-dev/": "modules/event-worker-identity/main.tf",
    "depot-dev-keda-operator/": "modules/environment/events.tf",
    "key-admin": "modules/service-identity/main.tf",
    "depot-dev-vpc-flow-logs/": "modules/network/main.tf",
    "depot-dev-cloudtrail-to-logs/": "modules/edge-and-audit/audit.tf",
}


def documents(dev: RootRun, shared: RootRun) -> dict[str, dict[str, Any]]:
    """label => policy document, for every identity policy the two roots render."""
    found: dict[str, dict[str, Any]] = {}
    for run in (dev, shared):
        for role, data in run.snapshot["roles"].items():
            for name, doc in data["inline"].items():
                found[f"{role}/{name}"] = doc
    found["boundary"] = dev.snapshot["boundary_policy"]
    found["key-admin"] = dev.snapshot["key_admin_policy"]
    return found


def findings(document: dict[str, Any]) -> set[str]:
    return set(details(document))


def details(document: dict[str, Any]) -> dict[str, str]:
    """issue => a short account of where parliament found it."""
    policy = parliament.analyze_policy_string(json.dumps(document))
    found: dict[str, str] = {}
    for f in policy.findings:
        found.setdefault(f.issue, f"{str(f.detail)[:300]} @ {str(f.location)[:200]}")
    return found


def source_of(label: str) -> str | None:
    for prefix, path in SOURCES.items():
        if label.startswith(prefix):
            return path
    return None


def test_every_rendered_policy_passes_parliament_or_is_justified(
    dev_run: RootRun, shared_run: RootRun
) -> None:
    docs = documents(dev_run.require(), shared_run.require())
    assert len(docs) > 15, sorted(docs)
    unjustified: dict[str, dict[str, str]] = {}
    for label, doc in sorted(docs.items()):
        issues = details(doc)
        source = source_of(label)
        text = (INFRA / source).read_text() if source else ""
        missing = {i: d for i, d in issues.items() if f"# parliament: {i}" not in text}
        if missing:
            unjustified[label] = missing
    assert not unjustified, (
        f"parliament findings without a `# parliament: ISSUE` justification: {unjustified}"
    )


def test_parliament_flags_a_malformed_policy() -> None:
    """The analyser itself can fail: a misspelt action and a wrong resource type."""
    bad = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "arn:aws:s3:::b/*"},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b"},
        ],
    }
    assert {"UNKNOWN_ACTION", "RESOURCE_MISMATCH"} <= findings(bad)


def test_parliament_flags_the_old_apply_policy() -> None:
    old = json.loads((FIXTURES / "apply-policy-before-adr-0026.json").read_text())
    assert "RESOURCE_MISMATCH" in findings(old) or "RESOURCE_STAR" in findings(old)
