"""Readiness: the service's own checks and draining decide, dependencies are reported."""

from __future__ import annotations

import anyio
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from prometheus_client import generate_latest

from service_runtime.aws import DependencyError
from service_runtime.health import DependencyMonitor, Health, Lifecycle, probe_router
from service_runtime.metrics import create_metrics


async def _up() -> None:
    return None


async def _down() -> None:
    raise DependencyError("s3", "timeout", "hung")


def _health(loaded: list[bool]) -> Health:
    metrics = create_metrics("example", "1", "r", ["dynamodb", "s3"])
    monitor = DependencyMonitor({"dynamodb": _up, "s3": _down}, 10, metrics)
    return Health(metrics, Lifecycle(metrics), monitor, checks={"loaded": lambda: loaded[0]})


def _client(health: Health) -> TestClient:
    app = FastAPI()

    def health_of(_: Request) -> Health:
        return health

    app.include_router(probe_router(health_of))
    return TestClient(app)


def test_not_ready_until_the_services_own_checks_pass() -> None:
    loaded = [False]
    client = _client(_health(loaded))
    starting = client.get("/readyz")
    assert (starting.status_code, starting.json()["status"]) == (503, "starting")
    assert starting.json()["checks"] == {"started": True, "loaded": False, "not_draining": True}
    loaded[0] = True
    assert client.get("/readyz").status_code == 200
    assert client.get("/livez").json() == {"status": "alive"}


def test_a_dependency_down_is_reported_but_never_gates_readiness() -> None:
    health = _health([True])
    anyio.run(health.monitor.check_once)
    body = _client(health).get("/readyz")
    assert body.status_code == 200
    dependencies = body.json()["dependencies"]
    assert dependencies["dynamodb"]["up"] is True
    assert (dependencies["s3"]["up"], dependencies["s3"]["error"]) == (False, "timeout")
    scraped = _client(health).get("/metrics").text
    assert 'example_dependency_up{backend="s3"} 0.0' in scraped
    assert 'example_dependency_up{backend="dynamodb"} 1.0' in scraped


def test_draining_fails_readiness_and_sets_the_gauge() -> None:
    health = _health([True])
    health.lifecycle.begin_draining()
    body = _client(health).get("/readyz")
    assert (body.status_code, body.json()["status"]) == (503, "draining")
    assert "example_draining 1.0" in generate_latest(health.metrics.registry).decode()
