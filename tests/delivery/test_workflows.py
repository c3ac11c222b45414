"""GitHub workflows: actionlint, zizmor --offline and checkov clean; pinned; least privilege."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.tools import ROOT, require_tool

WORKFLOWS = ROOT / ".github" / "workflows"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v?\d+\.\d+\.\d+$")
VENV_BIN = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"

BAD_WORKFLOW = """\
name: bad
on: pull_request_target
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: echo "${{ github.event.pull_request.title }}"
"""


def workflow_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml"))


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def uses_lines(path: Path) -> list[str]:
    return [
        line.split("uses:", 1)[1].strip()
        for line in path.read_text().splitlines()
        if re.match(r"^\s*(- )?uses:", line)
    ]


def tool(name: str) -> str:
    local = VENV_BIN / name
    return str(local) if local.exists() else require_tool(name, "scripts/setup/python.sh")


def run(command: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"}
    env.pop("GH_TOKEN", None)
    env.pop("GITHUB_TOKEN", None)
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_expected_workflows_exist() -> None:
    names = {p.name for p in workflow_files()}
    assert {"ci.yml", "release.yml", "promote.yml", "terraform.yml"} <= names


def test_actionlint_finds_nothing() -> None:
    # Without shellcheck on PATH actionlint silently skips every `run:` script.
    require_tool("shellcheck", "scripts/setup/shellcheck.sh")
    result = run([tool("actionlint"), *map(str, workflow_files())])
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(
        BAD_WORKFLOW.replace("runs-on: ubuntu-24.04", "runs-on: [ubuntu-24.04]\n    needs: nothing")
    )
    result = run([tool("actionlint"), str(broken)], cwd=tmp_path)
    assert result.returncode == 1, result.stdout


def zizmor(*paths: Path) -> subprocess.CompletedProcess[str]:
    config = ROOT / ".github" / "zizmor.yml"
    return run([tool("zizmor"), "--offline", "--config", str(config), *map(str, paths)])


def test_zizmor_offline_finds_nothing() -> None:
    result = zizmor(WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def test_zizmor_catches_an_injection_and_an_unpinned_action(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(BAD_WORKFLOW)
    result = zizmor(bad)
    assert result.returncode != 0
    for audit in ("template-injection", "unpinned-uses", "dangerous-triggers"):
        assert audit in result.stdout, result.stdout


@pytest.mark.slow
def test_checkov_github_actions_passes() -> None:
    checkov = require_tool("checkov", "scripts/setup/checkov.sh")
    result = run([
        checkov, "-d", str(ROOT / ".github"), "--framework", "github_actions", "--skip-download",
        "--config-file", str(ROOT / ".checkov.yaml"), "--compact", "--quiet",
    ])  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed checks" in result.stdout, result.stdout


@pytest.mark.parametrize("path", workflow_files(), ids=lambda p: p.name)
def test_third_party_actions_are_pinned_by_commit_sha(path: Path) -> None:
    for ref in uses_lines(path):
        if ref.startswith("./"):
            continue
        assert PINNED.match(ref), f"{path.name}: {ref} is not pinned as owner/repo@<sha> # vX.Y.Z"


@pytest.mark.parametrize("path", workflow_files(), ids=lambda p: p.name)
def test_least_privilege_and_concurrency(path: Path) -> None:
    workflow = load(path)
    assert workflow.get("permissions") == {}, f"{path.name}: top-level permissions must be {{}}"
    triggers = workflow["on"]
    assert "pull_request_target" not in triggers and "workflow_run" not in triggers
    if "workflow_call" not in triggers:
        assert "concurrency" in workflow, f"{path.name}: no concurrency group"
    for name, job in workflow["jobs"].items():
        assert "permissions" in job, f"{path.name}: job {name} has no permissions block"
        assert "write-all" not in str(job["permissions"])
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False, (
                    f"{path.name}: job {name} keeps the checkout's token on disk"
                )


def test_ci_runs_the_make_targets_and_the_image_gates() -> None:
    ci = load(WORKFLOWS / "ci.yml")
    text = (WORKFLOWS / "ci.yml").read_text()
    assert "make -s ci-targets" in text and 'make "$TARGET"' in text
    assert set(ci["on"]) == {"pull_request", "push"}
    gate = next(s for s in ci["jobs"]["image"]["steps"] if s.get("name") == "scan (gate)")
    assert gate["with"]["exit-code"] == "1" and gate["with"]["ignore-unfixed"] is True
    assert gate["with"]["severity"] == "HIGH,CRITICAL"
    assert any("upload-sarif" in str(s.get("uses")) for s in ci["jobs"]["image"]["steps"])
    assert "make kind-check" in text
    targets = run(["make", "-s", "ci-targets"]).stdout
    assert "test-delivery" in targets and "lint-depot" in targets


def test_release_pushes_multi_arch_signed_with_oidc_and_opens_a_dev_pr() -> None:
    release = load(WORKFLOWS / "release.yml")
    text = (WORKFLOWS / "release.yml").read_text()
    assert release["on"]["push"]["tags"] == ["v[0-9]+.[0-9]+.[0-9]+"]
    image = release["jobs"]["image"]
    assert image["permissions"] == {"contents": "read", "id-token": "write"}
    assert image["needs"] == "verify"
    # amd64 and arm64, each pushed by digest, then one tagged manifest list of both
    # (tests/delivery/test_release_platforms.py holds the per-platform rule).
    push = next(s for s in image["steps"] if s.get("id") == "push")
    assert 'imagetools create --tag "$IMAGE:$TAG" "$IMAGE@$AMD64" "$IMAGE@$ARM64"' in push["run"]
    assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text
    # The manifest list (what environments pin and admission verifies) is signed.
    sign = next(s for s in image["steps"] if "cosign sign" in str(s.get("run", "")))
    assert sign["env"]["DIGEST"] == "${{ steps.push.outputs.digest }}"
    assert 'cosign sign --yes "$IMAGE@$DIGEST"' in sign["run"].splitlines()
    assert "cosign attest" in text
    assert "create-github-app-token" in text
    assert "tools.delivery bump --service" in text and "--env dev" in text
    # Each service's leg hands its own digest to its deploy-dev leg (a matrix job has one
    # set of outputs, which the last leg would overwrite).
    record = next(s for s in image["steps"] if s.get("name") == "record the released digest")
    assert record["env"]["DIGEST"] == (
        "${{ steps.push.outputs.digest || steps.existing.outputs.digest }}"
    )
    uploads = [s for s in image["steps"] if "upload-artifact" in str(s.get("uses"))]
    assert {s["with"]["name"] for s in uploads} == {
        "sbom-${{ matrix.service }}",
        "digest-${{ matrix.service }}",
    }, "artifact names are unique per run: one per matrix leg"
    deploy = release["jobs"]["deploy-dev"]
    download = next(s for s in deploy["steps"] if "download-artifact" in str(s.get("uses")))
    assert download["with"]["name"] == "digest-${{ matrix.service }}"
    assert 'DIGEST="$(cat "released/$SERVICE.digest")"' in text
    assert "needs.image.outputs" not in text


def test_terraform_applies_only_behind_environments() -> None:
    root = load(WORKFLOWS / "terraform-root.yml")
    environment = root["jobs"]["terraform"]["environment"]
    # The apply environment (with reviewers) exactly, not merely a name containing it:
    # "infra-{0}-plan" alone would contain "infra-{0}" yet have no reviewers.
    assert "inputs.mode == 'apply' && format('infra-{0}', inputs.root)" in environment
    assert "format('infra-{0}-plan', inputs.root)" in environment
    terraform = load(WORKFLOWS / "terraform.yml")
    assert terraform["on"]["pull_request"]["paths"][0] == "infra/**"
    applies = [j for j in terraform["jobs"].values() if j.get("with", {}).get("mode") == "apply"]
    assert [j["with"]["root"] for j in applies] == ["shared", "dev", "staging", "prod"]


def test_prod_needs_codeowner_approval() -> None:
    owners = (ROOT / ".github" / "CODEOWNERS").read_text().splitlines()
    rules = [line.split() for line in owners if line.strip() and not line.startswith("#")]
    prod = [r for r in rules if r[0] == "/gitops/environments/prod/"]
    assert prod and len(prod[0]) >= 2, "gitops/environments/prod/ has no code owner"


SCRIPTS = [
    ROOT / ".github/scripts/open-deploy-pr.sh",
    ROOT / ".github/scripts/kind-check.sh",
    ROOT / ".github/scripts/check-base-images.sh",
    ROOT / ".github/scripts/run-shipped-image.sh",
    ROOT / ".github/scripts/deployed-images.sh",
    ROOT / "gitops/argocd/bootstrap/bootstrap.sh",
]


def test_delivery_shell_scripts_pass_shellcheck(tmp_path: Path) -> None:
    shellcheck = require_tool("shellcheck", "scripts/setup/shellcheck.sh")
    result = run([shellcheck, *map(str, SCRIPTS)])
    assert result.returncode == 0, result.stdout
    bad = tmp_path / "bad.sh"
    bad.write_text("#!/usr/bin/env bash\nrm -rf $1/*\n")
    assert run([shellcheck, str(bad)]).returncode != 0
