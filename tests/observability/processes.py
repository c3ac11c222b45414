"""Processes of the live test: depot instances, Prometheus, Alertmanager, each on loopback
with its output in a log file, stopped at the end whatever happened."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

DEPOT_PYTHON = (
    Path(__file__).resolve().parents[2] / "services" / "depot" / ".venv" / "bin" / "python"
)


@dataclass
class Process:
    name: str
    argv: list[str]
    log_path: Path
    env: dict[str, str] | None = None
    popen: subprocess.Popen[bytes] | None = None

    def start(self, ready_url: str, timeout: float = 30.0) -> Process:
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log_tail()}")
            try:
                if httpx.get(ready_url, timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{self.name} not ready within {timeout}s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.popen and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def depot_instance(port: int, aws: dict[str, str], log_dir: Path) -> Process:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PORT": str(port),
        "DEPOT_HOST": "127.0.0.1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        # Fail fast when the emulator is gone: the outage shows as 503s within a second.
        "DEPOT_AWS_MAX_ATTEMPTS": "1",
        "DEPOT_AWS_CONNECT_TIMEOUT_SECONDS": "0.5",
        "DEPOT_AWS_READ_TIMEOUT_SECONDS": "1",
        "DEPOT_KEYS_REFRESH_SECONDS": "2",
        "DEPOT_DEPENDENCY_CHECK_SECONDS": "2",
        **aws,
    }
    return Process(
        f"depot:{port}",
        [str(DEPOT_PYTHON), "-m", "depot", "serve"],
        log_dir / f"depot-{port}.log",
        env=env,
    ).start(f"http://127.0.0.1:{port}/readyz")


def prometheus(config: Path, port: int, data: Path, binary: str) -> Process:
    return Process(
        "prometheus",
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={data}",
            f"--web.listen-address=127.0.0.1:{port}",
            # Resend firing alerts every second (default 1m), so the test waits seconds.
            "--rules.alert.resend-delay=1s",
        ],
        data.parent / "prometheus.log",
    ).start(f"http://127.0.0.1:{port}/-/ready")


def alertmanager(config: Path, port: int, data: Path, binary: str) -> Process:
    return Process(
        "alertmanager",
        [
            binary,
            f"--config.file={config}",
            f"--storage.path={data}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",  # one instance: no gossip port
        ],
        data.parent / "alertmanager.log",
    ).start(f"http://127.0.0.1:{port}/-/ready")


def blackbox_exporter(config: Path, port: int, log_dir: Path, binary: str) -> Process:
    return Process(
        "blackbox-exporter",
        [binary, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}"],
        log_dir / "blackbox-exporter.log",
    ).start(f"http://127.0.0.1:{port}/-/healthy")
