"""The SIGTERM drain sequence the chart's timings assume, on a real process."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

APP = Path(__file__).with_name("drain_app.py")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Service:
    def __init__(self, drain_seconds: float, *extra: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, str(APP), str(self.port), str(drain_seconds), *extra]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.process.kill()
        pytest.fail("the service did not become ready")

    def readiness(self) -> int | None:
        try:
            return httpx.get(f"{self.url}/readyz", timeout=1).status_code
        except httpx.HTTPError:
            return None


@pytest.fixture
def services() -> Iterator[list[Service]]:
    started: list[Service] = []
    yield started
    for service in started:
        if service.process.poll() is None:
            service.process.kill()
            service.process.wait()


def test_sigterm_fails_readiness_keeps_serving_then_exits_zero(services: list[Service]) -> None:
    service = Service(2.0)
    services.append(service)
    service.process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    assert service.readiness() == 503, "readiness fails at once, the listener stays open"
    assert httpx.get(f"{service.url}/livez", timeout=1).status_code == 200
    assert service.process.wait(timeout=30) == 0
    output = service.process.stdout.read().decode() if service.process.stdout else ""
    assert "signal received; draining" in output and "drain period over" in output


def test_a_second_signal_skips_the_rest_of_the_drain(services: list[Service]) -> None:
    service = Service(120.0)
    services.append(service)
    service.process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    assert service.readiness() == 503
    service.process.send_signal(signal.SIGTERM)
    assert service.process.wait(timeout=30) == 0


def test_without_the_drain_the_listener_closes_at_once(services: list[Service]) -> None:
    # The must-fail side: uvicorn's own server stops answering instead of draining.
    service = Service(2.0, "plain")
    services.append(service)
    service.process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    assert service.readiness() != 503
