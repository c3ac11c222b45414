"""A real stack over HTTP: the AWS emulator (depot's, one request at a time), depot's
resources and a running depot, the event queue with its dead-letter queue and the
bucket notification of infra/modules/event-queue, and verifier processes started as the
image would (`python -m verifier`).

depot runs from its own locked environment (services/depot/.venv, installed by
`make setup-verifier`): the test drives it only over HTTP, like a client.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import httpx
import pytest
from service_runtime.testing import free_port, wait_until

REPO = Path(__file__).resolve().parents[3]
DEPOT_PYTHON = REPO / "services" / "depot" / ".venv" / "bin" / "python"
REGION = "eu-west-1"
FAKE_AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
MAX_RECEIVES = 3
# Short enough for a test to see a killed worker's message come back; longer than the
# longest verification the worker computes from the settings below (checked at start).
VISIBILITY_SECONDS = 5
MAX_CONTENT_BYTES = 32 * 1024 * 1024


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass
class Proc:
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self, ready_url: str | None = None) -> Proc:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.argv, env={**os.environ, **self.env}, stdout=out, stderr=subprocess.STDOUT
            )
        if ready_url is not None:
            wait_until(lambda: self._ready(ready_url), 30, f"{self.name} ({self.log})")
        return self

    def _ready(self, url: str) -> bool:
        assert self.popen is not None
        if self.popen.poll() is not None:
            raise RuntimeError(f"{self.name} exited: {self.text()[-2000:]}")
        return _answers(url)

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def lines(self) -> list[dict[str, Any]]:
        found = []
        for line in self.text().splitlines():
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
        return found

    def stop(self) -> int | None:
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGCONT)
            self.popen.terminate()
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        return self.popen.returncode


class HoldingProxy:
    """Forwards S3 requests to the emulator unchanged, except that while `holding`, an
    object read (GET) waits until `release()`: a worker is then provably in the middle of
    a verification, for as long as the test needs (a stand-in for a slow read,
    docs/stand-ins.md). Everything else passes straight through."""

    def __init__(self, upstream: str) -> None:
        self._upstream = urlsplit(upstream)
        self._released = threading.Event()
        self._released.set()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _forward(self) -> None:
                if self.command == "GET" and "/tenants/" in self.path:
                    proxy._released.wait(timeout=30)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                upstream = http.client.HTTPConnection(
                    proxy._upstream.hostname or "127.0.0.1", proxy._upstream.port, timeout=60
                )
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                payload = answer.read()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in {"transfer-encoding", "connection", "content-length"}:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                upstream.close()

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _forward  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def hold(self) -> None:
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def stop(self) -> None:
        self._released.set()
        self._server.shutdown()


@dataclass
class Stack:
    endpoint: str
    table: str
    bucket: str
    key: str  # acme's API key
    queue_url: str
    dead_letter_url: str
    depot_url: str
    procs: list[Proc] = field(default_factory=list)

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION, **_creds())

    def worker_env(self, **extra: str) -> dict[str, str]:
        return {
            **FAKE_AWS,
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL": self.endpoint,
            "VERIFIER_HOST": "127.0.0.1",
            "VERIFIER_QUEUE_URL": self.queue_url,
            "VERIFIER_TABLE_NAME": self.table,
            "VERIFIER_BUCKET_NAME": self.bucket,
            "VERIFIER_MAX_CONTENT_BYTES": str(MAX_CONTENT_BYTES),
            "VERIFIER_MIN_READ_BYTES_PER_SECOND": str(16 * 1024 * 1024),
            "VERIFIER_OVERHEAD_SECONDS": "1",
            "VERIFIER_VISIBILITY_TIMEOUT_SECONDS": str(VISIBILITY_SECONDS),
            "VERIFIER_WAIT_SECONDS": "1",
            "VERIFIER_RETRY_DELAY_SECONDS": "1",
            "VERIFIER_DRAIN_SECONDS": "1",
            "VERIFIER_DEPENDENCY_CHECK_SECONDS": "1",
            **extra,
        }


def _creds() -> dict[str, str]:
    return {
        "aws_access_key_id": FAKE_AWS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": FAKE_AWS["AWS_SECRET_ACCESS_KEY"],
    }


def _event_queue(endpoint: str, bucket: str, name: str) -> tuple[str, str]:
    """The queue, dead-letter queue and notification of infra/modules/event-queue."""
    kw: dict[str, Any] = {"endpoint_url": endpoint, "region_name": REGION, **_creds()}
    sqs = boto3.client("sqs", **kw)
    dead = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])
    redrive = {
        "deadLetterTargetArn": dead_arn["Attributes"]["QueueArn"],
        "maxReceiveCount": MAX_RECEIVES,
    }
    queue = sqs.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": str(VISIBILITY_SECONDS),
            "RedrivePolicy": json.dumps(redrive),
        },
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    boto3.client("s3", **kw).put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": arn["Attributes"]["QueueArn"],
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "tenants/"}]}},
                }
            ]
        },
    )
    return queue, dead


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not DEPOT_PYTHON.exists():
        pytest.fail(f"{DEPOT_PYTHON} missing: run `make setup-verifier`")
    logs = tmp_path_factory.mktemp("stack")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    procs: list[Proc] = []
    try:
        moto = Proc("moto", [str(DEPOT_PYTHON), "-m", "depot.emulator", "--port", str(port)],
                    FAKE_AWS, logs / "moto.log")  # fmt: skip
        procs.append(moto.start(f"{endpoint}/moto-api/"))
        suffix = uuid.uuid4().hex[:8]
        table, bucket = f"depot-verify-{suffix}", f"depot-verify-{suffix}"
        provisioned = subprocess.run(
            [str(DEPOT_PYTHON), "-m", "depot", "dev", "provision", "--endpoint-url", endpoint,
             "--tenant", "acme", "--table", table, "--bucket", bucket,
             "--secret-id", f"depot/verify/{suffix}", "--region", REGION],
            env={**os.environ, **FAKE_AWS}, capture_output=True, check=True,
        )  # fmt: skip
        result = json.loads(provisioned.stdout)
        queue, dead = _event_queue(endpoint, bucket, f"verifier-{suffix}")
        depot_port = free_port()
        depot = Proc(
            "depot",
            [str(DEPOT_PYTHON), "-m", "depot", "serve"],
            {
                **FAKE_AWS,
                "AWS_REGION": REGION,
                "AWS_ENDPOINT_URL": endpoint,
                "PORT": str(depot_port),
                "DEPOT_HOST": "127.0.0.1",
                "DEPOT_TABLE_NAME": table,
                "DEPOT_BUCKET_NAME": bucket,
                "DEPOT_KEYS_SECRET_ID": result["secret_id"],
                "DEPOT_MAX_CONTENT_BYTES": str(MAX_CONTENT_BYTES),
                "DEPOT_MULTIPART_PART_BYTES": str(5 * 1024 * 1024),
            },
            logs / "depot.log",
        )
        procs.append(depot.start(f"http://127.0.0.1:{depot_port}/readyz"))
        yield Stack(endpoint, table, bucket, result["keys"]["acme"], queue, dead,
                    f"http://127.0.0.1:{depot_port}", procs)  # fmt: skip
    finally:
        for proc in reversed(procs):
            proc.stop()


@pytest.fixture
def start_worker(stack: Stack, tmp_path: Path) -> Iterator[Callable[..., Proc]]:
    """Start verifier processes; each is stopped (SIGTERM) when the test ends."""
    started: list[Proc] = []

    def start(wait_ready: bool = True, **env: str) -> Proc:
        port = free_port()
        worker = Proc(
            f"verifier-{len(started)}",
            [sys.executable, "-m", "verifier"],
            {**stack.worker_env(**env), "PORT": str(port)},
            tmp_path / f"verifier-{len(started)}.log",
        )
        started.append(worker)
        return worker.start(f"http://127.0.0.1:{port}/readyz" if wait_ready else None)

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def slow_reads(stack: Stack) -> Iterator[HoldingProxy]:
    proxy = HoldingProxy(stack.endpoint)
    yield proxy
    proxy.stop()


@pytest.fixture
def depot_client(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=stack.depot_url, headers={"Authorization": f"Bearer {stack.key}"}, timeout=60
    ) as client:
        yield client
