"""What `make` would do, read without doing it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.tools import ROOT


def dry_run(target: str, extra_makefile: Path | None = None) -> str:
    """Every command `make <target>` would run, in order, without running any (every
    prerequisite counted as out of date, as on a fresh clone)."""
    files = ["-f", "Makefile", "-f", str(extra_makefile)] if extra_makefile else []
    return subprocess.run(
        ["make", "-s", "-n", "--always-make", *files, target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
