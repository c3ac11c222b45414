"""A release can be re-run: it finds its image pushed and signed and goes on, or stops
before pushing (ECR tags are immutable; a second push of a tag is refused).

.github/scripts/release-state.sh drives the AWS CLI and cosign. Neither ECR nor Sigstore
is reachable here, so both are test doubles on PATH that answer as the real tools do
for the three cases (tag absent, tag present and signed, tag present and unsigned); the
double records the arguments it was called with so the checks are on what the script
asks, not only on what it prints.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.delivery.test_workflows import WORKFLOWS, load
from tests.support.tools import ROOT

SCRIPT = ROOT / ".github/scripts/release-state.sh"
DIGEST = "sha256:" + "c" * 64
SHA = "0123456789abcdef0123456789abcdef01234567"


def double(directory: Path, name: str, body: str) -> None:
    path = directory / name
    path.write_text("#!/bin/sh\n" + f'echo "$@" >> "{directory}/{name}.calls"\n' + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def run_state(
    tmp_path: Path, ecr: str, signed: bool
) -> tuple[subprocess.CompletedProcess[str], str, Path]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if ecr == "absent":
        # The AWS CLI's message for a missing tag (exit 254).
        message = "An error occurred (ImageNotFoundException) when calling DescribeImages"
        double(bin_dir, "aws", f'echo "{message}" >&2; exit 254\n')
    elif ecr == "denied":
        double(bin_dir, "aws", 'echo "An error occurred (AccessDeniedException)" >&2; exit 254\n')
    else:
        double(bin_dir, "aws", f'echo "{DIGEST}"\n')
    double(
        bin_dir,
        "cosign",
        "exit 0\n" if signed else 'echo "Error: no signatures found" >&2; exit 1\n',
    )
    output = tmp_path / "output"
    output.touch()
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(output),
        "GITHUB_SHA": SHA,
        "GITHUB_REPOSITORY": "acme/platform",
    }
    result = subprocess.run(
        ["bash", str(SCRIPT), "depot", "v1.2.3", "registry.test/depot"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    return result, output.read_text(), bin_dir


def test_a_new_tag_is_built(tmp_path: Path) -> None:
    result, output, bin_dir = run_state(tmp_path, "absent", signed=False)
    assert result.returncode == 0, result.stderr
    assert output.strip() == "state=new"
    assert "--image-ids imageTag=v1.2.3" in (bin_dir / "aws.calls").read_text()
    assert not (bin_dir / "cosign.calls").exists()


def test_a_pushed_and_signed_tag_goes_on_with_its_digest(tmp_path: Path) -> None:
    result, output, bin_dir = run_state(tmp_path, "present", signed=True)
    assert result.returncode == 0, result.stderr
    assert output.split() == ["state=done", f"digest={DIGEST}"]
    verify = (bin_dir / "cosign.calls").read_text()
    # Signed by this repository's release workflow, for this tag, at this commit.
    assert f"verify registry.test/depot@{DIGEST}" in verify
    assert f"--certificate-github-workflow-sha {SHA}" in verify
    assert "acme/platform/\\.github/workflows/release\\.yml@refs/tags/v1\\.2\\.3$" in verify
    assert "https://token.actions.githubusercontent.com" in verify


def test_a_pushed_but_unsigned_tag_stops_before_pushing(tmp_path: Path) -> None:
    result, output, _ = run_state(tmp_path, "present", signed=False)
    assert result.returncode == 1
    assert "state=" not in output
    assert f"already in ECR as {DIGEST}" in result.stderr
    assert "nothing is pushed" in result.stderr and "vX.Y.Z+1" in result.stderr


def test_an_unreadable_registry_fails_instead_of_rebuilding(tmp_path: Path) -> None:
    result, output, _ = run_state(tmp_path, "denied", signed=False)
    assert result.returncode == 1 and "state=" not in output
    assert "cannot read depot:v1.2.3" in result.stderr


def test_the_release_checks_before_it_builds_and_skips_everything_when_done() -> None:
    image = load(WORKFLOWS / "release.yml")["jobs"]["image"]
    steps = image["steps"]
    names = [str(s.get("id") or s.get("name") or s.get("uses")) for s in steps]
    existing = names.index("existing")
    push = names.index("push")
    assert existing < push
    assert "release-state.sh" in steps[existing]["run"]
    # Everything between the check and the hand-off of the digest is skipped when done;
    # the hand-off (the digest, to this service's deploy-dev leg) runs either way, with
    # the digest pushed now or found pushed and signed.
    handoff = names.index("record the released digest")
    for step in steps[existing + 1 : handoff]:
        assert step.get("if") == "steps.existing.outputs.state == 'new'", step
    assert [s.get("if") for s in steps[handoff:]] == [None, None]
    assert steps[handoff]["env"]["DIGEST"] == (
        "${{ steps.push.outputs.digest || steps.existing.outputs.digest }}"
    )
    assert steps[handoff + 1]["with"]["name"] == "digest-${{ matrix.service }}"
    # The tools the check uses are set up before it.
    before = " ".join(str(s.get("uses", "")) for s in steps[:existing])
    assert "configure-aws-credentials" in before and "amazon-ecr-login" in before
    assert "cosign-installer" in before


@pytest.mark.parametrize("path", [SCRIPT], ids=lambda p: p.name)
def test_release_state_passes_shellcheck(path: Path) -> None:
    from tests.support.tools import require_tool

    shellcheck = require_tool("shellcheck", "scripts/setup/shellcheck.sh")
    result = subprocess.run([shellcheck, str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout
