"""Debian's Chromium, headless, for the tests that open a page the platform serves on
loopback (the docs site, Prometheus' alerts page under `make up`)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from tests.support.tools import require_tool

INSTALLED_BY = "scripts/setup/chromium.sh"
# As root on a closed network: no sandbox, no GPU, and nothing that phones home (without
# the background-networking flags Chromium's own connections fail, many at a time).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def browse(url: str, *args: str, workdir: Path, timeout: float = 180) -> str:
    """Run Chromium on `url` with `args` (e.g. --dump-dom) in a fresh profile under
    `workdir`; its stdout."""
    chromium = require_tool("chromium", INSTALLED_BY)
    profile = tempfile.mkdtemp(dir=workdir)
    result = subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={profile}", *args, url],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout
