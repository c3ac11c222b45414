"""Fixtures: a real moto server process, provisioned resources, and real depot processes.

Tests talk HTTP to `python -m depot serve` subprocesses, the same entry point the image
runs, so signals, start-up validation and the uvicorn stack are all exercised.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from service_runtime.testing import free_port, wait_until

from depot.devstack import provision

REGION = "eu-west-1"
FAKE_AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@dataclass
class Moto:
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Moto:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "depot.emulator", "--port", str(self.port)],
            env={**os.environ, **FAKE_AWS},
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_until(lambda: _answers(f"{self.url}/moto-api/"), 30, "moto to start")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(timeout=10)

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


def _answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=1.0)
    except httpx.HTTPError:
        return False
    return True


@dataclass
class Stack:
    """Names of one provisioned set of resources, and the tenants' keys."""

    endpoint: str
    table: str
    bucket: str
    secret_id: str
    keys: dict[str, str]

    def env(self) -> dict[str, str]:
        return {
            **FAKE_AWS,
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL": self.endpoint,
            "DEPOT_TABLE_NAME": self.table,
            "DEPOT_BUCKET_NAME": self.bucket,
            "DEPOT_KEYS_SECRET_ID": self.secret_id,
        }


def make_stack(endpoint: str, tenants: list[str]) -> Stack:
    suffix = uuid.uuid4().hex[:8]
    os.environ.update(FAKE_AWS)
    result = provision(
        endpoint, REGION, f"depot-test-{suffix}", f"depot-test-{suffix}",
        f"depot/test/{suffix}", tenants,
    )  # fmt: skip
    return Stack(endpoint, result["table"], result["bucket"], result["secret_id"], result["keys"])


@dataclass
class Depot:
    port: int
    log: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    clients: list[httpx.Client] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait_ready: bool = True) -> Depot:
        env = {**os.environ, **self.env, "PORT": str(self.port), "DEPOT_HOST": "127.0.0.1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "depot", "serve"],
            env=env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        if wait_ready:
            wait_until(self.is_ready, 30, f"depot on {self.port} to be ready (log: {self.log})")
        return self

    def is_ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(
                f"depot exited with {self.process.returncode}: {self.logs()[-2000:]}"
            )
        try:
            return httpx.get(f"{self.url}/readyz", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def client(self, key: str | None = None, **kwargs: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        client = httpx.Client(base_url=self.url, headers=headers, timeout=30.0, **kwargs)
        self.clients.append(client)
        return client

    def logs(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int | None:
        for client in self.clients:
            client.close()
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Moto]:
    server = Moto(free_port(), tmp_path_factory.mktemp("moto") / "moto.log").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def stack(moto: Moto) -> Stack:
    return make_stack(moto.url, ["acme", "globex"])


# Fast settings so drain and refresh behaviour is observable in seconds.
FAST = {
    "DEPOT_KEYS_REFRESH_SECONDS": "0.5",
    "DEPOT_DRAIN_SECONDS": "1",
    "DEPOT_SHUTDOWN_TIMEOUT_SECONDS": "5",
    "DEPOT_DEPENDENCY_CHECK_SECONDS": "0.5",
    "DEPOT_LOG_LEVEL": "INFO",
}


@pytest.fixture(scope="session")
def start_depot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Depot]]:
    started: list[Depot] = []

    def start(stack: Stack, wait_ready: bool = True, **env: str) -> Depot:
        log = tmp_path_factory.mktemp("depot") / "depot.log"
        depot = Depot(free_port(), log, {**stack.env(), **FAST, **env})
        started.append(depot)
        return depot.start(wait_ready=wait_ready)

    yield start
    for depot in started:
        depot.stop()


@pytest.fixture(scope="session")
def depot(start_depot: Callable[..., Depot], stack: Stack) -> Depot:
    """The shared server; tests that change settings start their own."""
    return start_depot(stack, DEPOT_MAX_CONTENT_BYTES=str(32 * 1024 * 1024),
                       DEPOT_MULTIPART_PART_BYTES=str(5 * 1024 * 1024))  # fmt: skip


@pytest.fixture
def acme(depot: Depot, stack: Stack) -> httpx.Client:
    return depot.client(stack.keys["acme"])


@pytest.fixture
def globex(depot: Depot, stack: Stack) -> httpx.Client:
    return depot.client(stack.keys["globex"])


def create(client: httpx.Client, name: str = "doc.txt", **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/documents", json={"name": name, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def upload(client: httpx.Client, doc_id: str, content: bytes, **headers: str) -> httpx.Response:
    return client.put(f"/v1/documents/{doc_id}/content", content=content, headers=headers)
