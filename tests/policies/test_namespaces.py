"""The tenant namespace: Pod Security Admission, readiness gates, quota that fits the
worst case, default limits, and RBAC defined once for the access-entry groups."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.chart import kube_schema
from tests.chart.rendering import (
    Manifest,
    by_kind,
    helm_template,
    one,
    own_combo,
    pod_specs,
)
from tests.policies.conftest import NAMESPACES, POLICIES, namespace_objects
from tests.policies.vap import selector_matches

UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "m": 0.001, "": 1}


def quantity(value: str | int | float) -> float:
    text = str(value)
    for suffix in ("Ki", "Mi", "Gi", "m"):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * UNITS[suffix]
    return float(text)


@pytest.fixture(scope="module")
def objects() -> list[dict[str, Any]]:
    return namespace_objects()


def test_namespace_enforces_audits_and_warns_restricted(objects: list[dict[str, Any]]) -> None:
    labels = one(objects, "Namespace")["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
    assert labels["elbv2.k8s.aws/pod-readiness-gate-inject"] == "enabled"


def test_tenant_policies_are_bound_to_the_namespace(objects: list[dict[str, Any]]) -> None:
    namespace = one(objects, "Namespace")
    labels = {"kubernetes.io/metadata.name": "depot", **namespace["metadata"]["labels"]}
    bindings = [
        d
        for path in sorted(POLICIES.glob("*.yaml"))
        for d in yaml.safe_load_all(path.read_text())
        if d and d["kind"] == "ValidatingAdmissionPolicyBinding"
    ]
    assert len(bindings) == 10
    for binding in bindings:
        selector = binding["spec"]["matchResources"]["namespaceSelector"]
        assert selector_matches(selector, labels), binding["metadata"]["name"]


def _pod_totals(manifests: list[Manifest], part: str) -> dict[str, dict[str, float]]:
    """Per-pod totals of the server and of the largest CronJob pod."""
    totals: dict[str, dict[str, float]] = {}
    for name, pod in pod_specs(manifests):
        totals[name] = {
            r: sum(quantity(c["resources"][part][r]) for c in pod["containers"])
            for r in ("cpu", "memory")
        }
    return {
        "server": totals[next(n for n in totals if not n.startswith("CronJob"))],
        "cron": max(
            (v for n, v in totals.items() if n.startswith("CronJob")), key=lambda v: v["cpu"]
        ),
    }


def test_quota_fits_prod_at_max_scale_during_a_blue_green_promotion(
    objects: list[dict[str, Any]], helm: str
) -> None:
    manifests = helm_template(helm, own_combo("prod").helm_args())
    max_pods = one(manifests, "ScaledObject")["spec"]["maxReplicaCount"]
    colours = 2 if by_kind(manifests, "Rollout") else 1
    hard = one(objects, "ResourceQuota")["spec"]["hard"]
    for part in ("requests", "limits"):
        per_pod = _pod_totals(manifests, part)
        for resource in ("cpu", "memory"):
            need = per_pod["server"][resource] * max_pods * colours + per_pod["cron"][resource]
            have = quantity(hard[f"{part}.{resource}"])
            assert need <= have, f"{part}.{resource}: worst case {need} > quota {have}"
    assert max_pods * colours + 1 <= int(hard["pods"])


def test_limit_range_admits_every_rendered_container(
    objects: list[dict[str, Any]], rendered: dict[str, list[Manifest]]
) -> None:
    ceiling = one(objects, "LimitRange")["spec"]["limits"][0]["max"]
    for combo_id, manifests in rendered.items():
        for name, pod in pod_specs(manifests):
            for container in pod["containers"]:
                for resource in ("cpu", "memory"):
                    limit = quantity(container["resources"]["limits"][resource])
                    assert limit <= quantity(ceiling[resource]), f"{combo_id} {name}"


def test_rbac_is_view_for_developers_edit_by_group_and_nothing_for_ci(
    objects: list[dict[str, Any]],
) -> None:
    bindings = by_kind(objects, "RoleBinding")
    roles = {b["subjects"][0]["name"]: b["roleRef"]["name"] for b in bindings}
    assert roles == {"depot-developers-view": "view", "depot-developers-edit": "edit"}
    for binding in bindings:
        assert binding["metadata"]["namespace"] == "depot"
        assert all(s["kind"] == "Group" for s in binding["subjects"])
        assert binding["roleRef"]["name"] not in {"admin", "cluster-admin"}
    assert not by_kind(objects, "ClusterRoleBinding")
    assert not any("ci" in s["name"].split("-") for b in bindings for s in b["subjects"])


@pytest.mark.parametrize("version", kube_schema.SUPPORTED_VERSIONS)
def test_namespace_and_policy_objects_match_kubernetes_schemas(version: str) -> None:
    files = [*sorted(NAMESPACES.glob("*.yaml")), *sorted(POLICIES.glob("*.yaml"))]
    problems = {}
    for path in files:
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                problems[f"{path.name} {doc['kind']}"] = kube_schema.errors(doc, version)
    assert not {k: v for k, v in problems.items() if v}, problems
