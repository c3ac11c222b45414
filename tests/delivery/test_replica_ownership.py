"""Who owns the replica count: the autoscaler where there is one, Git everywhere else.

"Drift is reverted" holds for the replica count only if Argo CD compares it: an
`ignoreDifferences` on `/spec/replicas` (or a managed-fields exception) makes a manual
`kubectl scale` of a fixed-replica workload permanent, and with
`RespectIgnoreDifferences` even a replica change in Git is never applied. Where an
autoscaler owns the count, the chart leaves `replicas` out of the workload: Argo CD then
has nothing to compare (it syncs only fields present in Git), so the HPA is never fought.

Checked over every Application the `services` ApplicationSet generates, rendered as Argo
CD's repo server would render it, so each deployment profile is covered (ADR 0046).
"""

from __future__ import annotations

import copy
import subprocess
from typing import Any

import pytest
import yaml

from tests.delivery.test_gitops_renders import APPS, helm_template_command
from tests.support.tools import ROOT, require_tool

WORKLOAD_KINDS = {"Deployment", "Rollout"}


def _ignores_replicas(app: dict[str, Any], kind: str) -> bool:
    """Whether the Application tells Argo CD to leave `kind`'s replica count alone."""
    for rule in app["spec"].get("ignoreDifferences", []):
        if rule.get("kind") not in {kind, "*"}:
            continue
        if "/spec/replicas" in rule.get("jsonPointers", []):
            return True
        if any(".spec.replicas" in e for e in rule.get("jqPathExpressions", [])):
            return True
        # A managed-fields exception hides whatever that manager wrote, kubectl's scale too.
        if rule.get("managedFieldsManagers"):
            return True
    return False


def _autoscaled(objects: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(kind, name) of every workload a ScaledObject or an HPA scales."""
    targets = set()
    for obj in objects:
        if obj["kind"] == "ScaledObject":
            ref = obj["spec"]["scaleTargetRef"]
            targets.add((ref.get("kind", "Deployment"), ref["name"]))
        if obj["kind"] == "HorizontalPodAutoscaler":
            ref = obj["spec"]["scaleTargetRef"]
            targets.add((ref["kind"], ref["name"]))
    return targets


def replica_ownership_problems(app: dict[str, Any], objects: list[dict[str, Any]]) -> list[str]:
    """Every way the Application lets Git and an autoscaler disagree about the count."""
    name = app["metadata"]["name"]
    scaled = _autoscaled(objects)
    problems = []
    for obj in objects:
        if obj["kind"] not in WORKLOAD_KINDS:
            continue
        workload = f"{name}: {obj['kind']} {obj['metadata']['name']}"
        if (obj["kind"], obj["metadata"]["name"]) in scaled:
            if "replicas" in obj["spec"]:
                problems.append(f"{workload} is autoscaled but Git sets replicas: they fight")
        else:
            if "replicas" not in obj["spec"]:
                problems.append(f"{workload} has no autoscaler and no replica count in Git")
            if _ignores_replicas(app, obj["kind"]):
                problems.append(
                    f"{workload} has a fixed replica count but the Application ignores "
                    "/spec/replicas: a manual kubectl scale would never be reverted"
                )
    respects = "RespectIgnoreDifferences=true" in app["spec"]["syncPolicy"].get("syncOptions", [])
    owned = any((o["kind"], o["metadata"]["name"]) in scaled for o in objects)
    if respects and not owned:
        problems.append(f"{name}: RespectIgnoreDifferences with nothing an autoscaler owns")
    return problems


def render(app: dict[str, Any]) -> list[dict[str, Any]]:
    helm = require_tool("helm", "scripts/setup/helm.sh")
    result = subprocess.run(
        helm_template_command(helm, app), capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def _profile(app: dict[str, Any]) -> str:
    labels = app["metadata"]["labels"]
    env_file = (
        ROOT
        / "gitops"
        / "environments"
        / labels["depot.example.org/environment"]
        / f"{labels['depot.example.org/service']}.yaml"
    )
    return str(yaml.safe_load(env_file.read_text())["profile"])


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict[str, Any]]]:
    return {app["metadata"]["name"]: render(app) for app in APPS}


def test_every_profile_is_rendered_through_an_application() -> None:
    profiles = {p.stem for p in (ROOT / "gitops" / "profiles").glob("*.yaml")}
    assert {_profile(app) for app in APPS} == profiles


@pytest.mark.parametrize("app", APPS, ids=[a["metadata"]["name"] for a in APPS])
def test_git_owns_the_replica_count_wherever_no_autoscaler_does(
    app: dict[str, Any], rendered: dict[str, list[dict[str, Any]]]
) -> None:
    assert replica_ownership_problems(app, rendered[app["metadata"]["name"]]) == []


def test_each_kind_of_owner_is_exercised(rendered: dict[str, list[dict[str, Any]]]) -> None:
    """At least one fixed and one autoscaled workload, so both branches above ran."""
    kinds = set()
    for objects in rendered.values():
        scaled = _autoscaled(objects)
        for obj in objects:
            if obj["kind"] in WORKLOAD_KINDS:
                kinds.add((obj["kind"], obj["metadata"]["name"]) in scaled)
    assert kinds == {True, False}


OLD_RULE = {"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]}


@pytest.mark.parametrize(
    "rule",
    [
        OLD_RULE,
        {"group": "apps", "kind": "Deployment", "jqPathExpressions": [".spec.replicas"]},
        {"group": "apps", "kind": "Deployment", "managedFieldsManagers": ["kubectl"]},
    ],
)
def test_ignoring_a_fixed_replica_count_is_refused(
    rule: dict[str, Any], rendered: dict[str, list[dict[str, Any]]]
) -> None:
    fixed = [app for app in APPS if not _autoscaled(rendered[app["metadata"]["name"]])]
    assert fixed, "no fixed-replica Application to break"
    app = copy.deepcopy(fixed[0])
    app["spec"]["ignoreDifferences"] = [rule]
    problems = replica_ownership_problems(app, rendered[app["metadata"]["name"]])
    assert any("never be reverted" in p for p in problems), problems


def test_a_replica_count_beside_an_autoscaler_is_refused(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    scaled_apps = [app for app in APPS if _autoscaled(rendered[app["metadata"]["name"]])]
    assert scaled_apps, "no autoscaled Application to break"
    app = scaled_apps[0]
    objects = copy.deepcopy(rendered[app["metadata"]["name"]])
    for obj in objects:
        if obj["kind"] in WORKLOAD_KINDS:
            obj["spec"]["replicas"] = 3
    problems = replica_ownership_problems(app, objects)
    assert any("they fight" in p for p in problems), problems
