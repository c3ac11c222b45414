"""Rendering the service chart the way Argo CD does, for every environment and profile.

Argo CD merges chart defaults → gitops/services/<svc>.yaml → gitops/profiles/<profile>.yaml
→ gitops/environments/<env>/<svc>.yaml (see gitops/argocd/services.yaml); these helpers
pass the same files in the same order to the real helm binary.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.support.tools import ROOT

CHART = ROOT / "charts" / "service"
GITOPS = ROOT / "gitops"
SERVICE = "depot"
NAMESPACE = "depot"
ENVIRONMENTS = ("dev", "staging", "prod")
PROFILES = ("ha", "cost-optimized")

Manifest = dict[str, Any]


@dataclass(frozen=True)
class Combo:
    """One environment rendered with one deployment profile."""

    env: str
    profile: str

    @property
    def id(self) -> str:
        return f"{self.env}-{self.profile}"

    @property
    def is_own_profile(self) -> bool:
        """Whether this is the profile the environment file itself names."""
        return environment_profile(self.env) == self.profile

    def value_files(self) -> list[Path]:
        return [
            GITOPS / "services" / f"{SERVICE}.yaml",
            GITOPS / "profiles" / f"{self.profile}.yaml",
            GITOPS / "environments" / self.env / f"{SERVICE}.yaml",
        ]

    def helm_args(self) -> list[str]:
        args: list[str] = []
        for path in self.value_files():
            args += ["-f", str(path)]
        # The environment file names its own profile; a combination overrides the label.
        return [*args, "--set", f"profile={self.profile}"]


ALL_COMBOS = [Combo(env, profile) for env in ENVIRONMENTS for profile in PROFILES]


def environment_profile(env: str) -> str:
    data = yaml.safe_load((GITOPS / "environments" / env / f"{SERVICE}.yaml").read_text())
    return str(data["profile"])


def own_combo(env: str) -> Combo:
    return Combo(env, environment_profile(env))


class RenderError(Exception):
    def __init__(self, stderr: str) -> None:
        super().__init__(stderr)
        self.stderr = stderr


def helm_template(
    helm: str, args: list[str], release: str = SERVICE, namespace: str = NAMESPACE
) -> list[Manifest]:
    """`helm template` with the given value arguments; raises RenderError on failure."""
    result = subprocess.run(
        [helm, "template", release, str(CHART), "--namespace", namespace, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        raise RenderError(result.stderr)
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def helm_template_text(helm: str, args: list[str]) -> str:
    result = subprocess.run(
        [helm, "template", SERVICE, str(CHART), "--namespace", NAMESPACE, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


def by_kind(manifests: list[Manifest], kind: str) -> list[Manifest]:
    return [m for m in manifests if m["kind"] == kind]


def one(manifests: list[Manifest], kind: str) -> Manifest:
    found = by_kind(manifests, kind)
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def workload(manifests: list[Manifest]) -> Manifest:
    """The server workload: a Deployment, or a Rollout under blue/green."""
    found = [m for m in manifests if m["kind"] in {"Deployment", "Rollout"}]
    assert len(found) == 1, f"expected one Deployment or Rollout, found {len(found)}"
    return found[0]


def pod_specs(manifests: list[Manifest]) -> list[tuple[str, dict[str, Any]]]:
    """(object name, pod spec) of every object that creates pods."""
    specs: list[tuple[str, dict[str, Any]]] = []
    for m in manifests:
        kind, spec = m["kind"], m.get("spec", {})
        if kind in {"Deployment", "Rollout", "StatefulSet", "DaemonSet", "Job"}:
            specs.append((f"{kind}/{m['metadata']['name']}", spec["template"]["spec"]))
        elif kind == "CronJob":
            pod = spec["jobTemplate"]["spec"]["template"]["spec"]
            specs.append((f"{kind}/{m['metadata']['name']}", pod))
    return specs
