"""The AWS client factory against a real moto server over HTTP: explicit bounds, every
call measured and classified, a breaker, and queueing bounded by the request deadline."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import anyio
import anyio.from_thread
import httpx
import pytest
from botocore.exceptions import ClientError
from prometheus_client import generate_latest

from service_runtime.aws import AwsGateway, DependencyError, classify, client_config
from service_runtime.config import AwsClientSettings
from service_runtime.deadline import OverloadedError, request_deadline
from service_runtime.metrics import create_metrics

FAKE_AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[subprocess.Popen[bytes]]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, **FAKE_AWS},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/moto-api/", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.2)
    for name, value in {**FAKE_AWS, "AWS_ENDPOINT_URL": url}.items():
        monkeypatch.setenv(name, value)
    yield process
    process.terminate()
    process.wait(timeout=10)


def _settings(**overrides: Any) -> AwsClientSettings:
    values: dict[str, Any] = {
        "AWS_REGION": "eu-west-1",
        # Generous: a loaded machine's moto may take seconds to answer; a stopped one
        # refuses the connection at once.
        "aws_connect_timeout_seconds": 5,
        "aws_read_timeout_seconds": 10,
        "aws_max_attempts": 1,
        "breaker_failure_threshold": 2,
        **overrides,
    }
    return AwsClientSettings(**values)


def _gateway(settings: AwsClientSettings) -> tuple[AwsGateway, Any]:
    metrics = create_metrics("example", "1", "r", ["dynamodb"])
    gateway = AwsGateway(settings, metrics, workers={"dynamodb": 1, "transfer": 1})
    return gateway, metrics


def test_the_client_configuration_states_every_bound() -> None:
    config = client_config(_settings(aws_read_timeout_seconds=2.5, aws_max_pool_connections=7))
    assert (config.connect_timeout, config.read_timeout) == (5, 2.5)
    assert config.retries == {"mode": "standard", "total_max_attempts": 1}
    assert config.max_pool_connections == 7


def test_calls_are_measured_and_a_dead_backend_opens_the_breaker(
    moto: subprocess.Popen[bytes],
) -> None:
    gateway, metrics = _gateway(_settings())
    dynamodb = gateway.client("dynamodb")
    assert gateway.call_sync("dynamodb", "ListTables", dynamodb.list_tables)["TableNames"] == []
    with pytest.raises(ClientError):  # the request's fault: raised as is, breaker untouched
        gateway.call_sync(
            "dynamodb", "DescribeTable", lambda: dynamodb.describe_table(TableName="missing")
        )
    moto.terminate()
    moto.wait(timeout=10)
    for _ in range(2):
        with pytest.raises(DependencyError) as failed:
            gateway.call_sync("dynamodb", "ListTables", dynamodb.list_tables)
        assert failed.value.outcome == "unreachable"
    with pytest.raises(DependencyError, match="circuit open"):
        gateway.call_sync("dynamodb", "ListTables", dynamodb.list_tables)
    text = generate_latest(metrics.registry).decode()
    assert 'operation="ListTables",outcome="ok"} 1.0' in text
    assert 'operation="DescribeTable",outcome="client_error"} 1.0' in text
    assert 'operation="ListTables",outcome="unreachable"} 3.0' in text
    assert 'example_dependency_up{backend="dynamodb"} 0.0' in text


def test_queueing_for_a_worker_ends_at_the_request_deadline() -> None:
    gateway, metrics = _gateway(_settings(request_deadline_seconds=5))
    gateway.client("dynamodb")
    release = anyio.Event()

    async def main() -> None:
        async with anyio.create_task_group() as tasks:

            def held() -> None:
                anyio.from_thread.run(release.wait)

            tasks.start_soon(lambda: gateway.call("dynamodb", "Query", held))
            await anyio.sleep(0.1)
            with request_deadline(0.2), pytest.raises(OverloadedError):
                await gateway.call("dynamodb", "GetItem", lambda: "never runs")
            # Other work has a pool of its own and does not queue behind the call.
            assert await gateway.run(lambda: "ran", "transfer", "dynamodb") == "ran"
            release.set()

    anyio.run(main)
    assert 'outcome="deadline"} 1.0' in generate_latest(metrics.registry).decode()


def test_only_the_requests_own_errors_stay_client_errors() -> None:
    def error(code: str, status: int) -> ClientError:
        body = {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}
        return ClientError(body, "Op")

    assert classify(error("ValidationException", 400)) == "client_error"
    assert classify(error("ThrottlingException", 400)) == "throttled"
    assert classify(error("ExpiredTokenException", 400)) == "credentials"
    assert classify(error("InternalError", 500)) == "server_error"
