"""Servers under test, each pinned to the server core: the bare hello-world apps (the
floors) and depot itself with its emulator."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.reliability.procs import DEPOT_PYTHON, Replica, base_env, wait_until
from tests.support.tools import ROOT, free_port

APPS = ROOT / "bench" / "apps"
SERVER_CORE = 0
LOAD_CORE = 1


@contextmanager
def hello_server(module: str, log_dir: Path) -> Iterator[tuple[str, int]]:
    """(url, pid) of a hello-world app on uvicorn, uvloop + httptools, one worker: the
    same server and settings depot runs with."""
    port = free_port()
    argv = [
        "taskset", "-c", str(SERVER_CORE), str(DEPOT_PYTHON), "-m", "uvicorn",
        f"{module}:app", "--app-dir", str(APPS), "--host", "127.0.0.1", "--port", str(port),
        "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    with (log_dir / f"{module}.log").open("ab") as log:
        process = subprocess.Popen(argv, env=base_env(), stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until(lambda: _ok(url), 30, f"{module} to answer")
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=15)


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def start_to_ready(env: dict[str, str], log_dir: Path, trials: int) -> list[float]:
    """Seconds from exec to the first 200 on /readyz (imports, clients, first key load)."""
    seconds = []
    for trial in range(trials):
        replica = Replica(f"startup-{trial}", env, log_dir)
        replica.start(wait_ready=False, taskset=str(SERVER_CORE))
        try:
            wait_until(lambda r=replica: r.readiness() == 200, 30, "depot to be ready")  # type: ignore[misc]
            seconds.append(time.monotonic() - replica.started_at)
        finally:
            replica.stop()
    return seconds
