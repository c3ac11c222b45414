"""checkov over the chart (rendered with each environment's values), the rendered
manifests, the tenant namespace and the service's Dockerfile: no failed check except the
named, justified skips in .checkov.yaml."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.chart.rendering import ALL_COMBOS, CHART, NAMESPACE, helm_template_text, own_combo
from tests.support.tools import ROOT, require_tool

pytestmark = pytest.mark.slow

DOCKERFILE = ROOT / "services" / "Dockerfile"
NAMESPACES = ROOT / "gitops" / "platform" / "namespaces"


def _checkov(*args: str, extra_env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    checkov = require_tool("checkov", "scripts/setup/checkov.sh")
    # checkov's helm runner calls `helm` from PATH.
    helm_dir = Path(require_tool("helm", "scripts/setup/helm.sh")).parent
    path = f"{helm_dir}{os.pathsep}{os.environ['PATH']}"
    env = {**os.environ, "PATH": path, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", **(extra_env or {})}
    result = subprocess.run(
        [checkov, "--skip-download", "--quiet", "-o", "json",
         "--config-file", str(ROOT / ".checkov.yaml"), *args],
        capture_output=True, text=True, timeout=300, check=False, env=env,
    )  # fmt: skip
    assert result.stdout.strip(), f"checkov printed nothing: {result.stderr[-2000:]}"
    reports = json.loads(result.stdout)
    return reports if isinstance(reports, list) else [reports]


def _failures(reports: list[dict[str, Any]]) -> list[str]:
    return [
        f"{c['check_id']} {c['resource']} ({c['file_path']})"
        for r in reports
        for c in r.get("results", {}).get("failed_checks", [])
    ]


def _assert_clean(reports: list[dict[str, Any]], framework: str) -> None:
    summaries = {r.get("check_type"): r.get("summary") or {} for r in reports}
    assert framework in summaries, f"checkov produced no {framework} report: {summaries}"
    summary: dict[str, int] = summaries[framework]
    assert summary["parsing_errors"] == 0, summary
    assert summary["passed"] > 0, "nothing was checked"
    assert not _failures(reports), _failures(reports)


def test_rendered_manifests_and_namespace_pass_checkov(helm: str, tmp_path: Path) -> None:
    for combo in ALL_COMBOS:
        text = helm_template_text(helm, combo.helm_args())
        assert list(yaml.safe_load_all(text)), "checkov skips unparsable YAML silently"
        (tmp_path / f"{combo.id}.yaml").write_text(text)
    shutil.copy(NAMESPACES / "depot.yaml", tmp_path / "namespace-depot.yaml")
    _assert_clean(_checkov("-d", str(tmp_path), "--framework", "kubernetes"), "kubernetes")


@pytest.mark.parametrize("env", ["dev", "prod"])  # one per profile
def test_chart_passes_checkov_helm_scan(env: str) -> None:
    """checkov's helm runner renders the chart itself; the chart refuses to render without
    an image, so it gets the environment's value files, and the namespace via HELM_NAMESPACE."""
    var_files = [arg for path in own_combo(env).value_files() for arg in ("--var-file", str(path))]
    reports = _checkov(
        "-d", str(CHART), "--framework", "helm", *var_files, extra_env={"HELM_NAMESPACE": NAMESPACE}
    )
    _assert_clean(reports, "helm")


def test_dockerfile_passes_checkov() -> None:
    if not DOCKERFILE.exists():
        pytest.fail(f"{DOCKERFILE.relative_to(ROOT)} is missing")
    _assert_clean(_checkov("-f", str(DOCKERFILE), "--framework", "dockerfile"), "dockerfile")


def test_checkov_fails_a_privileged_root_deployment(helm: str, tmp_path: Path) -> None:
    """Control: the scan above would catch a regression."""
    docs = list(yaml.safe_load_all(helm_template_text(helm, own_combo("dev").helm_args())))
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["securityContext"].update(privileged=True, allowPrivilegeEscalation=True)
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(deployment))
    failed = {
        f.split()[0] for f in _failures(_checkov("-d", str(tmp_path), "--framework", "kubernetes"))
    }
    assert {"CKV_K8S_16", "CKV_K8S_20"} <= failed, failed
