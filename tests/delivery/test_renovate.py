"""Renovate covers every pin kind: one test per kind that the configuration matches it.

Renovate itself needs Node 24, which no registry reachable here ships for this machine,
so its regex managers are applied the way Renovate applies them: each manager's
`managerFilePatterns` selects repository files, each `matchStrings` pattern (named
groups, no look-behind, so the same under RE2 and Python) extracts dependencies, and
`*Template` fields fill what the groups do not. Built-in managers (pep621, npm,
dockerfile, github-actions, terraform) are checked by being enabled for the files they
read by default.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.tools import ROOT

CONFIG: dict[str, Any] = json.loads((ROOT / ".github" / "renovate.json").read_text())
ADDONS = ROOT / "gitops/argocd/addons.yaml"


@dataclass(frozen=True)
class Dep:
    file: str
    datasource: str
    dep_name: str
    current_value: str
    package_name: str


def tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True, timeout=60,
    ).stdout.decode()  # fmt: skip
    return [p for p in listed.split("\0") if p and (ROOT / p).is_file()]


def python_regex(pattern: str) -> re.Pattern[str]:
    assert "(?<=" not in pattern and "(?<!" not in pattern, "RE2 has no look-behind"
    return re.compile(pattern.replace("(?<", "(?P<"))


def render(template: str, groups: dict[str, str]) -> str:
    return re.sub(r"\{\{\{?(\w+)\}?\}\}", lambda m: groups[m.group(1)], template)


def extract() -> list[Dep]:
    deps: list[Dep] = []
    files = tracked_files()
    for manager in CONFIG["customManagers"]:
        assert manager["customType"] == "regex"
        patterns = [python_regex(p.strip("/")) for p in manager["managerFilePatterns"]]
        for rel in (f for f in files if any(p.search(f) for p in patterns)):
            text = (ROOT / rel).read_text()
            for match_string in manager["matchStrings"]:
                for m in python_regex(match_string).finditer(text):
                    groups = {k: v for k, v in m.groupdict().items() if v is not None}
                    datasource = groups.get("datasource") or manager.get("datasourceTemplate")
                    assert datasource, f"{rel}: no datasource for {m.group(0)!r}"
                    name = groups["depName"]
                    package = render(manager.get("packageNameTemplate", name), groups)
                    deps.append(Dep(rel, datasource, name, groups["currentValue"], package))
    return deps


DEPS = extract()


def deps_in(file: str) -> list[Dep]:
    return [d for d in DEPS if d.file == file]


def test_managers_for_every_kind_are_enabled() -> None:
    enabled = set(CONFIG["enabledManagers"])
    # pep621 (Python), npm (validators), dockerfile (base images, ARG defaults included),
    # github-actions (action SHAs and jobs.<id>.container.image), terraform (providers,
    # required_version, lock files), custom.regex (everything below).
    assert {"pep621", "npm", "dockerfile", "github-actions", "terraform", "custom.regex"} <= enabled
    assert all("fileMatch" not in m for m in CONFIG["customManagers"]), "use managerFilePatterns"


def setup_script_pins() -> list[tuple[str, str, str]]:
    pins = []
    for script in sorted((ROOT / "scripts/setup").glob("*.sh")):
        for m in re.finditer(r"^([A-Z_]+_VERSION)=(\S+)$", script.read_text(), re.M):
            pins.append((f"scripts/setup/{script.name}", m.group(1), m.group(2)))
    return pins


# HELM_VERSION is not a pin of its own: it is the Helm inside the npm layer that
# LAYER_VERSION pins (helm.sh checks it and its checksum).
DERIVED = {("scripts/setup/helm.sh", "HELM_VERSION")}


@pytest.mark.parametrize("pin", setup_script_pins(), ids=lambda p: f"{p[0]}:{p[1]}")
def test_every_tool_version_in_the_setup_scripts_is_tracked(pin: tuple[str, str, str]) -> None:
    file, variable, value = pin
    if (file, variable) in DERIVED:
        return
    assert any(d.current_value == value for d in deps_in(file)), (
        f"{file}: {variable}={value} has no `# renovate: datasource=... depName=...` line above it"
    )


def test_terraform_cli_and_provider_are_tracked() -> None:
    cli = [d for d in DEPS if d.dep_name == "hashicorp/terraform"]
    files = {d.file for d in cli}
    assert {"scripts/setup/terraform.sh", ".github/workflows/ci.yml"} <= files
    assert ".github/workflows/terraform-root.yml" in files
    assert {d.current_value for d in cli} == {"1.11.4"} and {d.datasource for d in cli} == {
        "github-releases"
    }
    provider = [d for d in DEPS if d.dep_name == "hashicorp/aws"]
    assert [d.datasource for d in provider] == ["terraform-provider"]
    # versions.tf constraints and .terraform.lock.hcl are the terraform manager's own.
    assert list((ROOT / "infra/live").rglob(".terraform.lock.hcl"))


def test_uv_is_tracked_everywhere_it_is_pinned() -> None:
    uv = {d.file for d in DEPS if d.dep_name == "uv"}
    places = set()
    for rel in tracked_files():
        if not rel.endswith((".sh", ".yml", ".yaml")) or rel.startswith("docs/"):
            continue
        text = (ROOT / rel).read_text()
        if re.search(r"uv==[0-9]|^UV_VERSION=", text, re.M):
            places.add(rel)
    assert places and places <= uv, f"uv pins Renovate does not see: {sorted(places - uv)}"
    # The Dockerfile's uv image is the dockerfile manager's (ARG defaults are expanded).
    dockerfile = (ROOT / "services/Dockerfile").read_text()
    assert re.search(r"^ARG UV_IMAGE=ghcr\.io/astral-sh/uv:[0-9.]+@sha256:", dockerfile, re.M)
    group = next(r for r in CONFIG["packageRules"] if r.get("groupName") == "uv")
    assert set(group["matchPackageNames"]) == {"uv", "ghcr.io/astral-sh/uv"}


def test_kind_and_its_node_image_are_tracked_together() -> None:
    ci = deps_in(".github/workflows/ci.yml")
    node = [d for d in ci if d.dep_name == "kindest/node"]
    kind = [d for d in ci if d.dep_name == "kubernetes-sigs/kind"]
    assert node and node[0].datasource == "docker" and node[0].current_value.startswith("v1.")
    assert kind and kind[0].current_value == "v0.29.0"
    group = next(
        r for r in CONFIG["packageRules"] if "kindest/node" in r.get("matchPackageNames", [])
    )
    assert "kubernetes-sigs/kind" in group["matchPackageNames"] and group.get("groupName")


def addon_elements() -> list[dict[str, str]]:
    appset = yaml.safe_load(ADDONS.read_text())
    return list(appset["spec"]["generators"][0]["matrix"]["generators"][1]["list"]["elements"])


@pytest.mark.parametrize("element", addon_elements(), ids=lambda e: e["chart"])
def test_every_addon_chart_is_tracked_once_from_the_right_source(element: dict[str, str]) -> None:
    found = [d for d in deps_in("gitops/argocd/addons.yaml") if d.dep_name == element["chart"]
             and d.current_value == element["version"]]  # fmt: skip
    assert len(found) == 1, f"{element['chart']}: matched {len(found)} times"
    repo = element["repoURL"]
    # Argo CD takes OCI Helm repositories without a scheme (ADR 0033).
    assert not repo.startswith("oci://")
    if repo.startswith("https://"):
        assert found[0].datasource == "helm"
    else:
        # An OCI chart is an OCI artifact at <registry>/<path>/<chart>.
        assert found[0].datasource == "docker"
        assert found[0].package_name == f"{repo}/{element['chart']}"


def test_the_oci_chart_rule_really_matches_karpenter() -> None:
    karpenter = next(e for e in addon_elements() if e["chart"] == "karpenter")
    assert karpenter["repoURL"] == "public.ecr.aws/karpenter"
    dep = next(d for d in DEPS if d.dep_name == "karpenter")
    assert dep.package_name == "public.ecr.aws/karpenter/karpenter"


def test_a_new_unannotated_setup_pin_would_be_caught(tmp_path: Path) -> None:
    # The per-script rule is only worth something if an unannotated pin is invisible.
    manager = next(m for m in CONFIG["customManagers"] if "# renovate:" in m["matchStrings"][0])
    pattern = python_regex(manager["matchStrings"][0])
    assert not pattern.search("source lib.sh\nFOO_VERSION=1.2.3\n")
    assert pattern.search("# renovate: datasource=pypi depName=foo\nFOO_VERSION=1.2.3\n")
