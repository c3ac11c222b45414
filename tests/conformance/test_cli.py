"""`make conformance`'s command: its exit status and what it prints for a team."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.conformance.conftest import TOY_CONTRACT
from tests.conformance.toy import ROOT_FLAW
from tests.container.podman import podman_env
from tests.support.tools import CACHE_BIN, ROOT


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**podman_env(), "PATH": f"{CACHE_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        [sys.executable, "-m", "tools.conformance", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_an_unusable_contract_exits_2_naming_the_problem(tmp_path: Path) -> None:
    contract = tmp_path / "conformance.yaml"
    contract.write_text("service: toy\nport: 8080\n")
    result = _cli("--image", "localhost/conformance-toy:none", "--contract", str(contract))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "'configuration' is a required property" in result.stderr


def test_a_failing_image_exits_1_and_says_what_to_read(toy: Callable[[str], str]) -> None:
    result = _cli("--image", toy(ROOT_FLAW), "--contract", str(TOY_CONTRACT))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL user: the image runs as root" in result.stdout
    assert "read:     docs/conformance.md#user" in result.stdout
    assert result.stdout.rstrip().endswith("passed, 1 failed"), result.stdout
