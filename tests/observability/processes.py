"""Processes of the live test: depot instances, Prometheus, Alertmanager, each on loopback
with its output in a log file, stopped at the end whatever happened."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from observability.generate.yamlio import dump

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


def absent_watches(doc: dict[str, Any]) -> list[str]:
    """The expressions of a rule file's `absent()` alerts: each names a series that must
    exist before its rule may be evaluated (see load_rules_once_scraped)."""
    return [
        str(rule["expr"])
        for group in doc["groups"]
        for rule in group["rules"]
        if "alert" in rule and str(rule["expr"]).startswith("absent(")
    ]


def load_rules_once_scraped(
    prometheus: Process,
    url: str,
    rules_dir: Path,
    files: dict[str, dict[str, Any]],
    watched: list[str],
    timeout: float = 60.0,
) -> None:
    """Write the rule files into the folder Prometheus's `rule_files` glob reads, and
    have it load them (SIGHUP) only once every `watched` absent() expression is empty.

    Why: Prometheus's scrape manager hands discovered targets to the scrape pools on a
    five-second tick (scrape/manager.go, `DiscoveryReloadInterval`, default 5s), so the
    first sample of a target lands five seconds or more after start. A time-compressed
    `for` is shorter than that (ServiceTargetsAbsent: 5m / 60 = 5s), so rules loaded at
    start would page for Prometheus's own start-up, which a long-running Prometheus
    never does and the production `for` (5m) rides out."""
    query = f"{url}/api/v1/query"
    deadline = time.monotonic() + timeout
    pending = list(watched)
    while pending:
        pending = [
            expr
            for expr in pending
            if httpx.get(query, params={"query": expr}, timeout=5).json()["data"]["result"]
        ]
        if not pending:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"series still absent after {timeout}s: {pending}\n{prometheus.log_tail()}"
            )
        time.sleep(0.5)
    for name, doc in files.items():
        (rules_dir / name).write_text(dump(doc))
    assert prometheus.popen is not None
    prometheus.popen.send_signal(signal.SIGHUP)
    expected = sum(len(doc["groups"]) for doc in files.values())
    while time.monotonic() < deadline + timeout:
        groups = httpx.get(f"{url}/api/v1/rules", timeout=5).json()["data"]["groups"]
        if len(groups) >= expected:
            return
        time.sleep(0.2)
    raise TimeoutError(f"Prometheus did not load {expected} rule groups:\n{prometheus.log_tail()}")


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
