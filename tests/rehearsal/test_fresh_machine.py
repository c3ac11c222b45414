"""The fresh-machine rehearsal: a clean clone sets itself up and runs on a clean Debian 12.

scripts/rehearsal.sh does the work (mmdebstrap, chroot, the first `make run` to ready
having installed no container, Terraform, Helm, Node or scanner tool, then `make setup`
and one check per tool family); this test runs it with a time bound and reads its
verdict, so `make test` reports it like any other check.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.support.tools import ROOT, prerequisite_missing, require_tool

# ~10 minutes is the rehearsal's share of `make test`; the bound leaves room for a slow
# registry, and a hang fails instead of stalling the suite.
TIMEOUT_SECONDS = 1500


# The suite's default per-test timeout (pyproject) is shorter than a whole machine's set-up.
@pytest.mark.timeout(TIMEOUT_SECONDS + 60)
def test_a_clean_clone_sets_up_and_runs_on_a_clean_debian_12() -> None:
    if os.geteuid() != 0:
        prerequisite_missing("the rehearsal needs root (mmdebstrap, chroot, namespaces)")
    require_tool("mmdebstrap", "scripts/setup/podman.sh")
    require_tool("terraform", "scripts/setup/terraform.sh")
    result = subprocess.run(
        ["bash", str(ROOT / "scripts/rehearsal.sh")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # one stream, in order: the inside's lines among apt's
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    log = result.stdout
    tail = log[-20000:]
    assert result.returncode == 0, tail
    milestones = [line for line in log.splitlines() if line.startswith(("[inside]", "[rehearsal"))]
    print("\n".join(milestones))  # the timings, in the junit report's system-out
    for milestone in (
        "make run is ready",
        "make run installed no container, Terraform, Helm, Node or scanner tool",
        "make setup took",
        "REHEARSAL PASSED",
    ):
        assert any(milestone in line for line in milestones), f"did not reach {milestone!r}\n{tail}"
    # Every check ran, none was skipped (CI=true inside: a missing tool fails).
    summary = [line for line in log.splitlines() if " passed" in line and " in " in line]
    assert summary and "skipped" not in summary[-1] and "failed" not in summary[-1], tail
