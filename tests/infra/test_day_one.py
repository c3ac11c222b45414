"""The documented day one (docs/infra.md), rehearsed on the emulator with IAM enforced
and decided by IAM's meaning: every step runs as the identity the docs name and must not
be refused; CI's plan of the freshly applied root shows no changes; CI's apply of a change
succeeds; CI's apply role is refused the escalation of ADR 0026."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.lifecycle import RootRun

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

# The steps of the docs' table, in order (step 6 is a Git edit, checked by the hand-off
# tests).
STEPS = [
    "1 delegated zone",
    "2 bootstrap",
    "3 state into the bucket with the state key",
    "4 shared root",
    "5 dev root",
    "7a CI plan",
    "7b CI apply",
    "7c CI apply cannot escalate",
]


@pytest.fixture(scope="module")
def day_one(root_runs: dict[str, Any]) -> RootRun:
    return root_runs["day-one"].result()


def test_every_step_ran_as_its_identity(day_one: RootRun) -> None:
    steps = day_one.snapshot.get("steps", {})
    assert list(steps) == STEPS, day_one.error or list(steps)
    day_one.require(step=next((n for n, s in steps.items() if not s["ok"]), "the end"))
    failed = {name: s for name, s in steps.items() if not s["ok"]}
    assert not failed, failed


def test_the_docs_name_the_same_steps_and_identities(day_one: RootRun) -> None:
    from tests.support.tools import ROOT

    text = (ROOT / "docs" / "infra.md").read_text()
    section = text[text.index("## Day one on a real account") :]
    for number in ("| 1 |", "| 2 |", "| 3 |", "| 4 |", "| 5 |", "| 6 |", "| 7 |"):
        assert number in section
    for identity in (
        "PlatformAdmin of the shared account",
        "PlatformAdmin of each environment account",
        "depot-ci-terraform-plan",
        "depot-ci-terraform-apply",
    ):
        assert identity in section, identity


def test_nothing_was_refused_but_the_escalation(day_one: RootRun) -> None:
    """Every denial the emulator recorded is one of the escalation attempts of step 7c."""
    # The AWS provider probes iam:GetUser for the account id and falls back to
    # sts:GetCallerIdentity when refused (as a role it always is, in AWS too).
    denials = [
        d
        for d in day_one.snapshot["denials"]
        if (d["action"], d["resource"]) != ("iam:GetUser", "*")
    ]
    unexpected = [
        d
        for d in denials
        if d["action"] not in {"iam:CreateRole", "iam:AttachRolePolicy"}
        or not d["resource"].endswith(("role/depot-x", "role/depot-dev-loki"))
    ]
    assert not unexpected, unexpected
    assert len(denials) == 2, denials
