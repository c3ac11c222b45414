"""Black-box processes of the reliability tests: the AWS emulator and depot replicas.

Each runs as a real process from the service's own virtual environment (the entry points
the image runs), on loopback, with its output in a log file. Stops are bounded in time.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.tools import ROOT, free_port

DEPOT_PYTHON = ROOT / "services" / "depot" / ".venv" / "bin" / "python"
REGION = "eu-west-1"
FAKE_AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# pytest's `record_property` fixture: figures a test puts in the JUnit report.
RecordProperty = Callable[[str, object], None]


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def _answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=1.0)
    except httpx.HTTPError:
        return False
    return True


def base_env() -> dict[str, str]:
    # Only what the processes need: no inherited AWS profile or endpoint can leak in.
    # PYTHONPATH passes through: the promise-mutation runner points it at the sources of
    # its throwaway copy, which must be the code these processes run.
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), **FAKE_AWS}
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


@dataclass
class Emulator:
    """depot.emulator: moto applying one request at a time (conditional writes atomic).

    `serialised=False` runs moto's own threaded server instead: requests really overlap,
    and two conditional writes on one item can both pass (test_parallel_emulator.py says
    what that setup can and cannot prove).
    """

    log_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    serialised: bool = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Emulator:
        module = ["depot.emulator", "--port"] if self.serialised else ["moto.server", "-p"]
        argv = [str(DEPOT_PYTHON), "-m", *module, str(self.port), "--host", "127.0.0.1"]
        with (self.log_dir / "emulator.log").open("ab") as log:
            self.process = subprocess.Popen(
                argv,
                env=base_env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until(lambda: _answers(f"{self.url}/moto-api/"), 30, "the emulator to answer")
        return self

    def stop(self) -> None:
        """Stopped: connections are refused (the state is gone with the process)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def pause(self) -> None:
        """Hung: the kernel still accepts connections, nothing ever answers."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


@dataclass
class Resources:
    """One provisioned table, bucket and key secret on the emulator, and the tenants' keys."""

    endpoint: str
    table: str
    bucket: str
    secret_id: str
    keys: dict[str, str]

    def env(self, endpoint: str | None = None) -> dict[str, str]:
        """The service's AWS settings; `endpoint` routes its calls elsewhere (a proxy)."""
        return {
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL": endpoint or self.endpoint,
            "DEPOT_TABLE_NAME": self.table,
            "DEPOT_BUCKET_NAME": self.bucket,
            "DEPOT_KEYS_SECRET_ID": self.secret_id,
        }


def depot_cli(args: list[str], env: dict[str, str], timeout: float = 60) -> str:
    """Run `python -m depot ARGS` (the operator's CLI); returns stdout, raises on failure."""
    result = subprocess.run(
        [str(DEPOT_PYTHON), "-m", "depot", *args],
        env={**base_env(), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"depot {' '.join(args)} failed ({result.returncode}): {result.stderr}")
    return result.stdout


def provision(endpoint: str, tenants: list[str]) -> Resources:
    suffix = uuid.uuid4().hex[:8]
    # The contract's names (depot-ENV-documents, depot-ENV-content-ACCOUNT, depot/ENV/api-keys)
    # with a unique ENV per test, on moto's account.
    env_name = f"rel{suffix}"
    args = [
        "dev", "provision", "--endpoint-url", endpoint,
        "--table", f"depot-{env_name}-documents",
        "--bucket", f"depot-{env_name}-content-123456789012",
        "--secret-id", f"depot/{env_name}/api-keys",
    ]  # fmt: skip
    for tenant in tenants:
        args += ["--tenant", tenant]
    out = json.loads(depot_cli(args, {"AWS_REGION": REGION}))
    return Resources(endpoint, out["table"], out["bucket"], out["secret_id"], out["keys"])


@dataclass
class Replica:
    """One depot process (a pod), with its own port."""

    name: str
    env: dict[str, str]
    log_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    def start(self, wait_ready: bool = True, taskset: str | None = None) -> Replica:
        env = {**base_env(), **self.env, "PORT": str(self.port), "DEPOT_HOST": "127.0.0.1"}
        argv = [str(DEPOT_PYTHON), "-m", "depot", "serve"]
        if taskset:
            argv = ["taskset", "-c", taskset, *argv]
        self.started_at = time.monotonic()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        if wait_ready:
            wait_until(self.is_ready, 30, f"{self.name} to be ready (log: {self.log_path})")
        return self

    def is_ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited {self.process.returncode}:\n{self.log_tail()}")
        return self.readiness() == 200

    def readiness(self) -> int | None:
        """Status of GET /readyz, or None when nothing answers (the listener is closed)."""
        try:
            return httpx.get(f"{self.url}/readyz", timeout=1.0).status_code
        except httpx.HTTPError:
            return None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def terminate(self) -> None:
        """SIGTERM, as the kubelet sends after preStop: the service drains and exits."""
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL: no drain, no cleanup, like a node loss or an OOM kill."""
        if self.alive():
            assert self.process is not None
            self.process.kill()
            self.process.wait(timeout=10)

    def wait(self, timeout: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        if not self.alive():
            return
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        time.sleep(0.2)  # two signals at once would be coalesced into one
        self.process.send_signal(signal.SIGINT)  # the second one skips the drain
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
