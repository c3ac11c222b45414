"""The running `make up` shared by its tests: started once (about a minute), stopped
with Ctrl-C by the last test, killed by the fixture if a test failed before."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.tools import CACHE_BIN, ROOT, prerequisite_missing, require_tool

SETUP = "scripts/setup/prometheus.sh"


@dataclass
class Up:
    popen: subprocess.Popen[bytes]
    workdir: Path
    log_path: Path
    state: dict[str, Any]

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def running(self) -> bool:
        return self.popen.poll() is None


def _wait_for_state(popen: subprocess.Popen[bytes], state: Path, log: Path) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            pytest.fail(f"make up exited ({popen.returncode}):\n{log.read_text()}")
        if state.exists():
            return json.loads(state.read_text())  # type: ignore[no-any-return]
        time.sleep(0.5)
    pytest.fail(f"make up not up within 120 s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    if not (ROOT / "services" / "depot" / ".venv" / "bin" / "python").exists():
        prerequisite_missing("services/depot/.venv missing; scripts/setup/python.sh creates it")
    require_tool("prometheus", SETUP)
    require_tool("prometheus-alertmanager", SETUP)
    workdir = tmp_path_factory.mktemp("up")
    log_path = workdir.parent / f"{workdir.name}.out"
    env = {**os.environ, "PATH": f"{CACHE_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    with log_path.open("wb") as log:
        # Its own session, as a terminal's foreground job: Ctrl-C reaches the whole group.
        # --max-minutes: it stops by itself should this test process die.
        popen = subprocess.Popen(
            [sys.executable, "-m", "tools.up", "--workdir", str(workdir), "--max-minutes", "8"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        state = _wait_for_state(popen, workdir / "state.json", log_path)
        yield Up(popen, workdir, log_path, state)
    finally:
        if popen.poll() is None:
            os.killpg(popen.pid, signal.SIGINT)
            try:
                popen.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(popen.pid, signal.SIGKILL)
                popen.wait(timeout=10)
