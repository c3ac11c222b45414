"""The GitOps desired state is always deployable.

For every service x environment, render exactly what Argo CD would apply: the chart and
values files the generated Application names, in its order, with its release name and
namespace, and the API versions the cluster serves once the add-ons are in. Then
validate every object: built-in kinds with kubernetes-validate (strict), custom
resources with the operators' schemas.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.delivery.appsets import clusters_for, expand, load_documents
from tests.delivery.test_argocd import environments, require_validator
from tests.support.tools import ROOT, require_tool

KUBE_VERSION = "1.33.0"
# Served by the add-ons the platform installs before tenants (gitops/argocd/addons.yaml).
API_VERSIONS = [
    "monitoring.coreos.com/v1",
    "keda.sh/v1alpha1",
    "argoproj.io/v1alpha1",
    "external-secrets.io/v1",
    "elbv2.k8s.aws/v1beta1",
]


def service_applications() -> list[dict[str, Any]]:
    docs = load_documents(ROOT / "gitops" / "argocd")
    appset = next(
        d for d in docs if d["kind"] == "ApplicationSet" and d["metadata"]["name"] == "services"
    )
    return expand(ROOT, appset, clusters_for(environments()))


def helm_template_command(helm: str, app: dict[str, Any]) -> list[str]:
    """The `helm template` Argo CD's repo server runs for this Application."""
    chart, *refs = app["spec"]["sources"]
    ref_roots = {f"${s['ref']}": ROOT for s in refs}
    command = [
        helm, "template", chart["helm"]["releaseName"], str(ROOT / chart["path"]),
        "--namespace", app["spec"]["destination"]["namespace"],
        "--kube-version", KUBE_VERSION,
    ]  # fmt: skip
    for version in API_VERSIONS:
        command += ["--api-versions", version]
    for values in chart["helm"]["valueFiles"]:
        ref, _, relative = values.partition("/")
        command += ["--values", str(ref_roots[ref] / relative)]
    return command


APPS = service_applications()


def test_there_is_something_to_render() -> None:
    assert APPS, "the services ApplicationSet generates no Application"


@pytest.mark.parametrize("app", APPS, ids=[a["metadata"]["name"] for a in APPS])
def test_desired_state_renders_and_validates(app: dict[str, Any], tmp_path: Path) -> None:
    helm = require_tool("helm", "scripts/setup/helm.sh")
    node = require_validator()
    rendered = subprocess.run(
        helm_template_command(helm, app), capture_output=True, text=True, timeout=120, check=False
    )
    assert rendered.returncode == 0, rendered.stderr
    objects = [d for d in yaml.safe_load_all(rendered.stdout) if d]
    kinds = {d["kind"] for d in objects}
    assert {"Service", "ServiceAccount"} <= kinds and kinds & {"Deployment", "Rollout"}, kinds
    namespace = app["spec"]["destination"]["namespace"]
    for obj in objects:
        assert obj["metadata"].get("namespace", namespace) == namespace, obj["metadata"]
    manifest = tmp_path / "rendered.yaml"
    manifest.write_text(rendered.stdout)
    k8s = subprocess.run(
        ["kubernetes-validate", "--strict", "--quiet", "-k", KUBE_VERSION, str(manifest)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert k8s.returncode == 0, k8s.stdout + k8s.stderr
    crs = subprocess.run(
        [node, str(ROOT / "tests/validators/validate.mjs"), str(manifest)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert crs.returncode == 0, crs.stdout + crs.stderr


def test_a_broken_environment_file_fails_the_render(tmp_path: Path) -> None:
    helm = require_tool("helm", "scripts/setup/helm.sh")
    app = APPS[0]
    broken = tmp_path / "broken.yaml"
    broken.write_text("image:\n  tag: latest\n")
    command = [*helm_template_command(helm, app), "--values", str(broken)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode != 0
    assert "tag" in result.stderr
