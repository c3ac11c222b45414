"""What Argo CD applies from gitops/platform/observability/: valid Kubernetes objects
(built-in kinds by kubernetes-validate --strict, custom resources by the operators'
schemas), and every credential file the Alertmanager reads is filled by the ExternalSecret."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

from tests.support.tools import ROOT, prerequisite_missing, require_tool

DEPLOYED = ROOT / "gitops" / "platform" / "observability"
MANIFESTS = sorted(DEPLOYED.rglob("*.yaml"))
VALIDATOR = ROOT / "tests" / "validators" / "validate.mjs"
KUBE_VERSION = "1.33.0"
MOUNT_DIR = "/etc/alertmanager/secrets/alertmanager-receivers/"


def test_every_manifest_is_one_namespaced_object() -> None:
    assert MANIFESTS
    for path in MANIFESTS:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
        assert len(docs) == 1, path
        assert docs[0]["metadata"]["namespace"] in {"monitoring", "logging"}, path


def test_builtin_kinds_pass_strict_schema_validation() -> None:
    require_tool("kubernetes-validate", "scripts/setup/python.sh")
    result = subprocess.run(
        ["kubernetes-validate", "--strict", "--quiet", "-k", KUBE_VERSION, *map(str, MANIFESTS)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_custom_resources_match_operator_schemas() -> None:
    node = require_tool("node", "scripts/setup/node-validators.sh")
    if not (VALIDATOR.parent / "node_modules" / "@kubernetes-models").is_dir():
        message = "tests/validators/node_modules missing; run scripts/setup/node-validators.sh"
        prerequisite_missing(message)
    custom = [
        str(p)
        for p in MANIFESTS
        if "." in yaml.safe_load(p.read_text())["apiVersion"].split("/")[0]
    ]
    assert len(custom) >= 3, "PrometheusRule, ServiceMonitor, ExternalSecret expected"
    result = subprocess.run(
        [node, str(VALIDATOR), *custom], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_receiver_credential_file_is_synced() -> None:
    config = (ROOT / "observability" / "alertmanager" / "alertmanager.yaml").read_text()
    files = re.findall(r"_file:\s*(\S+)", config)
    assert files and all(f.startswith(MOUNT_DIR) for f in files), files
    external = yaml.safe_load(
        (DEPLOYED / "alertmanager" / "receivers-externalsecret.yaml").read_text()
    )
    synced = {d["secretKey"] for d in external["spec"]["data"]}
    assert {f.removeprefix(MOUNT_DIR) for f in files} == synced


def test_a_broken_object_is_rejected(tmp_path: Path) -> None:
    """The validation above can fail: a ConfigMap with an unknown field."""
    require_tool("kubernetes-validate", "scripts/setup/python.sh")
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndatas: {}\n")
    result = subprocess.run(
        ["kubernetes-validate", "--strict", "--quiet", "-k", KUBE_VERSION, str(bad)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
