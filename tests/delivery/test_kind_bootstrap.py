"""The kind job's bootstrap script waits for exactly the Applications the whole-platform
check computes, and its cluster pins are the verified ones (docs/pins/kind.yaml)."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from tests.delivery import argocd_rules
from tests.delivery import platform as p
from tests.support.tools import ROOT, require_tool

SCRIPT = ROOT / ".github/scripts/kind-bootstrap.sh"
PINS = yaml.safe_load((ROOT / "docs/pins/kind.yaml").read_text())


def bash_array(name: str, text: str | None = None) -> list[str]:
    text = SCRIPT.read_text() if text is None else text
    match = re.search(rf"^{name}=\(\n(.*?)^\)", text, flags=re.MULTILINE | re.DOTALL)
    assert match, f"no array {name} in {SCRIPT.name}"
    return [line.strip() for line in match.group(1).splitlines() if line.strip()]


def bash_value(name: str) -> str:
    match = re.search(rf"\b{name}=(\S+)", SCRIPT.read_text())
    assert match, f"no {name}= in {SCRIPT.name}"
    return match.group(1)


@pytest.fixture(scope="module")
def expected() -> list[str]:
    env = bash_value("ENVIRONMENT")
    profile = yaml.safe_load((ROOT / f"gitops/environments/{env}/depot.yaml").read_text())
    helm = require_tool("helm", "scripts/setup/helm.sh")
    return p.application_names(p.build(ROOT, env, profile["profile"], helm))


def test_the_script_waits_for_every_application_the_platform_check_lists(
    expected: list[str],
) -> None:
    assert bash_array("APPLICATIONS") == expected


def test_a_list_missing_an_application_is_noticed(expected: list[str]) -> None:
    text = SCRIPT.read_text().replace("  platform-capacity\n", "", 1)
    assert bash_array("APPLICATIONS", text) != expected


def test_health_and_drift_are_checked_on_listed_applications() -> None:
    apps = bash_array("APPLICATIONS")
    healthy = bash_array("HEALTHY_WITHOUT_AWS")
    assert healthy and set(healthy) <= set(apps)
    assert bash_value("DRIFT_APP") in healthy
    assert bash_value("REPO_URL") == argocd_rules.REPO_URL


def test_the_kind_job_uses_the_verified_pins_and_runs_the_bootstrap() -> None:
    job = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())["jobs"]["kind"]
    action = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("helm/kind-action"))
    assert action["uses"] == f"helm/kind-action@{PINS['kind_action']['commit']}"
    assert action["with"]["version"] == PINS["kind"]["version"]
    assert job["env"]["KIND_NODE_IMAGE"] == PINS["kind"]["node_image"]
    assert action["with"]["node_image"] == "${{ env.KIND_NODE_IMAGE }}"
    runs = [str(s.get("run", "")) for s in job["steps"]]
    assert "bash .github/scripts/kind-bootstrap.sh" in runs


def test_the_bootstrap_script_passes_shellcheck() -> None:
    shellcheck = require_tool("shellcheck", "scripts/setup/shellcheck.sh")
    result = subprocess.run(
        [shellcheck, "--severity=style", str(SCRIPT)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout
