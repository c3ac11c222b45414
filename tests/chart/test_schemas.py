"""Every rendered object validates: built-in kinds against the Kubernetes schemas of
each supported version with unknown fields rejected, custom resources against their
operators' published schemas (tests/validators)."""

from __future__ import annotations

import copy
import subprocess

import pytest
import yaml

from tests.chart import kube_schema
from tests.chart.conftest import Renderer
from tests.chart.rendering import ALL_COMBOS, Combo, Manifest, one
from tests.support.tools import ROOT, prerequisite_missing, require_tool

VALIDATOR = ROOT / "tests" / "validators" / "validate.mjs"


@pytest.mark.parametrize("version", kube_schema.SUPPORTED_VERSIONS)
def test_builtin_objects_match_kubernetes_schemas(
    render: Renderer, combo: Combo, version: str
) -> None:
    builtin = [m for m in render(combo) if kube_schema.is_builtin(m["apiVersion"])]
    assert builtin, "nothing rendered"
    problems = {
        f"{m['kind']}/{m['metadata']['name']}": kube_schema.errors(m, version) for m in builtin
    }
    assert not {k: v for k, v in problems.items() if v}, problems


def test_strict_schema_rejects_an_unknown_field(render: Renderer) -> None:
    """The schema check itself can fail: a misspelt field is reported."""
    deployment = copy.deepcopy(one(render(ALL_COMBOS[1]), "Deployment"))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    assert any("livenesProbe" in e for e in kube_schema.errors(deployment, "1.34"))


def _validate_crs(manifests: list[Manifest]) -> subprocess.CompletedProcess[str]:
    node = require_tool("node", "scripts/setup/node-validators.sh")
    if not (VALIDATOR.parent / "node_modules" / "@kubernetes-models").is_dir():
        message = "tests/validators/node_modules missing; run scripts/setup/node-validators.sh"
        prerequisite_missing(message)
    return subprocess.run(
        [node, str(VALIDATOR)],
        input=yaml.safe_dump_all(manifests),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_custom_resources_match_operator_schemas(render: Renderer, combo: Combo) -> None:
    manifests = render(combo)
    custom = [m for m in manifests if not kube_schema.is_builtin(m["apiVersion"])]
    assert custom, "expected custom resources (ServiceMonitor, ScaledObject, Rollout...)"
    result = _validate_crs(custom)
    assert result.returncode == 0, result.stdout + result.stderr


def test_custom_resource_validator_rejects_a_misspelt_field(render: Renderer) -> None:
    manifests = render(ALL_COMBOS[0])  # dev with the HA profile: has a ScaledObject
    scaled = copy.deepcopy(one(manifests, "ScaledObject"))
    scaled["spec"]["minReplicas"] = scaled["spec"].pop("minReplicaCount")
    result = _validate_crs([scaled])
    assert result.returncode == 1
    assert "/spec/minReplicas is not a known field" in result.stdout
