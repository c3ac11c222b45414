"""Each admission policy admits everything the platform renders, and denies a crafted
violation of exactly its own rule (and no other policy does)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.chart.rendering import Manifest
from tests.policies.vap import Policy, admit

ECR = "444444444444.dkr.ecr.eu-west-1.amazonaws.com/depot"
DIGEST = "sha256:" + "b" * 64
GOOD_IMAGE = f"{ECR}:v1.4.0@{DIGEST}"


def test_every_rendered_object_is_admitted(
    policies: dict[str, Policy],
    tenant_labels: dict[str, str],
    rendered: dict[str, list[Manifest]],
) -> None:
    applied: set[str] = set()
    for combo_id, manifests in rendered.items():
        for manifest in manifests:
            denials = admit(policies, manifest, tenant_labels)
            assert not denials, f"{combo_id} {manifest['kind']}: {denials}"
            applied |= {p.name for p in policies.values() if p.matches_resource(manifest)}
    # Admitting proves something only if every policy was actually evaluated.
    assert applied == set(policies)


# --- crafted violations ------------------------------------------------------------


def _base(rendered: dict[str, list[Manifest]], kind: str = "Deployment") -> Manifest:
    source = next(m for manifests in rendered.values() for m in manifests if m["kind"] == kind)
    return copy.deepcopy(source)


def _pod(manifest: Manifest) -> dict[str, Any]:
    if manifest["kind"] == "Pod":
        return manifest["spec"]  # type: ignore[no-any-return]
    if manifest["kind"] == "CronJob":
        return manifest["spec"]["jobTemplate"]["spec"]["template"]["spec"]  # type: ignore[no-any-return]
    return manifest["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def _container(manifest: Manifest) -> dict[str, Any]:
    return _pod(manifest)["containers"][0]  # type: ignore[no-any-return]


def _as_pod(deployment: Manifest) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "crafted", "namespace": "depot"},
        "spec": copy.deepcopy(deployment["spec"]["template"]["spec"]),
    }


def _as_statefulset(deployment: Manifest) -> Manifest:
    crafted = copy.deepcopy(deployment)
    crafted["kind"] = "StatefulSet"
    return crafted


Mutation = Callable[[Manifest], Manifest]


def _set(path: str, value: Any) -> Mutation:
    """Set a dotted path under the first container (c.) or the pod spec (p.)."""

    def mutate(manifest: Manifest) -> Manifest:
        scope, *keys = path.split(".")
        target = _container(manifest) if scope == "c" else _pod(manifest)
        for key in keys[:-1]:
            target = target.setdefault(key, {})
        target[keys[-1]] = value
        return manifest

    return mutate


def _delete(path: str) -> Mutation:
    def mutate(manifest: Manifest) -> Manifest:
        scope, *keys = path.split(".")
        target = _container(manifest) if scope == "c" else _pod(manifest)
        for key in keys[:-1]:
            target = target[key]
        del target[keys[-1]]
        return manifest

    return mutate


def _add_init_container(**security: Any) -> Mutation:
    def mutate(manifest: Manifest) -> Manifest:
        init = copy.deepcopy(_container(manifest))
        init["name"] = "init"
        init["securityContext"].update(security)
        for probe in ("startupProbe", "livenessProbe", "readinessProbe", "lifecycle"):
            init.pop(probe, None)
        _pod(manifest)["initContainers"] = [init]
        return manifest

    return mutate


def _unset_run_as_non_root(manifest: Manifest) -> Manifest:
    """Remove runAsNonRoot at both levels: unset must mean "may run as root", not "fine"."""
    _container(manifest)["securityContext"].pop("runAsNonRoot", None)
    _pod(manifest).get("securityContext", {}).pop("runAsNonRoot", None)
    return manifest


def _add_host_path(manifest: Manifest) -> Manifest:
    _pod(manifest)["volumes"].append({"name": "node-logs", "hostPath": {"path": "/var/log"}})
    return manifest


# (case id, base kind, mutation, the one policy that must deny, words in the message)
VIOLATIONS: list[tuple[str, str, Mutation, str, str]] = [
    (
        "untagged-image",
        "Deployment",
        _set("c.image", ECR),
        "image-reference",
        "without a tag or digest",
    ),
    (
        "latest-tag",
        "Deployment",
        _set("c.image", f"{ECR}:latest@{DIGEST}"),
        "image-reference",
        "latest",
    ),
    (
        "latest-tag-in-cronjob",
        "CronJob",
        _set("c.image", f"{ECR}:latest"),
        "image-reference",
        "latest",
    ),
    (
        "public-registry",
        "Deployment",
        _set("c.image", f"docker.io/library/nginx:1.27@{DIGEST}"),
        "allowed-registries",
        "outside the platform ECR",
    ),
    (
        "look-alike-registry",
        "Deployment",
        _set(
            "c.image",
            f"444444444444.dkr.ecr.eu-west-1.amazonaws.com.evil.example/depot:v1@{DIGEST}",
        ),
        "allowed-registries",
        "outside",
    ),
    ("no-limits", "Deployment", _delete("c.resources.limits"), "resources", "resources.limits"),
    (
        "no-memory-request",
        "Deployment",
        _delete("c.resources.requests.memory"),
        "resources",
        "cpu and memory",
    ),
    ("no-readiness-probe", "Deployment", _delete("c.readinessProbe"), "probes", "readinessProbe"),
    ("no-liveness-probe-rollout", "Rollout", _delete("c.livenessProbe"), "probes", "livenessProbe"),
    ("no-probes-statefulset", "StatefulSet", _delete("c.livenessProbe"), "probes", "livenessProbe"),
    (
        "run-as-non-root-false",
        "Deployment",
        _set("c.securityContext.runAsNonRoot", False),
        "non-root",
        "may run as root",
    ),
    ("uid-0", "Deployment", _set("c.securityContext.runAsUser", 0), "non-root", "may run as root"),
    (
        "root-init-container",
        "Deployment",
        _add_init_container(runAsUser=0),
        "non-root",
        "container init",
    ),
    (
        "privileged",
        "Deployment",
        _set("c.securityContext.privileged", True),
        "privileged",
        "is privileged",
    ),
    (
        "privileged-bare-pod",
        "Pod",
        _set("c.securityContext.privileged", True),
        "privileged",
        "is privileged",
    ),
    (
        "privilege-escalation",
        "Deployment",
        _set("c.securityContext.allowPrivilegeEscalation", True),
        "privilege-escalation",
        "allowPrivilegeEscalation",
    ),
    (
        "escalation-unset",
        "Deployment",
        _delete("c.securityContext.allowPrivilegeEscalation"),
        "privilege-escalation",
        "allowPrivilegeEscalation",
    ),
    (
        "added-capability",
        "Deployment",
        _set("c.securityContext.capabilities.add", ["NET_ADMIN"]),
        "capabilities",
        "adds Linux capabilities",
    ),
    ("host-path", "Deployment", _add_host_path, "host-access", "volume node-logs is a hostPath"),
    ("host-network", "Deployment", _set("p.hostNetwork", True), "host-access", "hostNetwork"),
    ("host-pid", "Deployment", _set("p.hostPID", True), "host-access", "hostPID"),
    (
        "run-as-non-root-unset",
        "Deployment",
        _unset_run_as_non_root,
        "non-root",
        "may run as root",
    ),
    (
        "read-only-root-unset",
        "Deployment",
        _delete("c.securityContext.readOnlyRootFilesystem"),
        "read-only-root-filesystem",
        "writable root filesystem",
    ),
    (
        "writable-root",
        "Deployment",
        _set("c.securityContext.readOnlyRootFilesystem", False),
        "read-only-root-filesystem",
        "writable root filesystem",
    ),
]


def _crafted(rendered: dict[str, list[Manifest]], kind: str) -> Manifest:
    if kind == "Pod":
        return _as_pod(_base(rendered))
    if kind == "StatefulSet":
        return _as_statefulset(_base(rendered))
    return _base(rendered, kind)


@pytest.mark.parametrize(
    ("kind", "mutate", "policy", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in VIOLATIONS],
)
def test_a_violation_is_denied_by_its_own_policy_only(
    policies: dict[str, Policy],
    tenant_labels: dict[str, str],
    rendered: dict[str, list[Manifest]],
    kind: str,
    mutate: Mutation,
    policy: str,
    words: str,
) -> None:
    crafted = _crafted(rendered, kind)
    assert not admit(policies, crafted, tenant_labels), "the unmutated object must be admitted"
    denials = admit(policies, mutate(crafted), tenant_labels)
    assert {d.policy for d in denials} == {f"platform-{policy}"}, denials
    assert any(words in d.message for d in denials), denials


def test_every_policy_has_a_violation_case(policies: dict[str, Policy]) -> None:
    assert {f"platform-{case[3]}" for case in VIOLATIONS} == set(policies)


def test_jobs_need_no_probes(
    policies: dict[str, Policy],
    tenant_labels: dict[str, str],
    rendered: dict[str, list[Manifest]],
) -> None:
    cron = _base(rendered, "CronJob")
    assert "livenessProbe" not in _container(cron)
    assert not admit(policies, cron, tenant_labels)


def test_add_on_namespaces_are_not_held_to_tenant_rules(
    policies: dict[str, Policy], rendered: dict[str, list[Manifest]]
) -> None:
    """An add-on from a public registry, in its own namespace, is only held to pinning."""
    addon = _set("c.image", f"quay.io/prometheus/prometheus:v3.4.0@{DIGEST}")(_base(rendered))
    monitoring = {"kubernetes.io/metadata.name": "monitoring"}
    assert not admit(policies, addon, monitoring)
    latest = _set("c.image", "quay.io/prometheus/prometheus:latest")(_base(rendered))
    assert {d.policy for d in admit(policies, latest, monitoring)} == {"platform-image-reference"}
    assert not admit(policies, latest, {"kubernetes.io/metadata.name": "kube-system"})
