"""A fault-injecting HTTP proxy between the service and the AWS emulator.

The one stand-in of these tests: the emulator cannot be told to answer 5xx or to
throttle, and a real endpoint that refuses connections would lose the emulator's state
if the emulator itself were killed. So the service's AWS_ENDPOINT_URL points here; every
request is forwarded unchanged to the emulator unless a fault is set:

- `refuse`: the listener closes (connection refused), as when an endpoint is gone;
- `500` / `503`: the AWS error shape of the backend (DynamoDB JSON, S3 XML);
- `throttle`: DynamoDB's `ThrottlingException` (HTTP 400, JSON) or S3's `SlowDown` (503);
- `drop` / `delay`: the request IS applied (forwarded, answered by the emulator), then its
  answer is lost: the connection is closed without a response (`drop`), or the response
  is held back past the client's read timeout (`delay`). The fault real networks produce
  most, and the one that makes a client's retry meet its own first attempt.

A fault can be aimed at one write: by operation (`X-Amz-Target`'s name for DynamoDB, the
HTTP method for S3), by a byte string its request body must contain, and for a limited
number of requests.

Faults apply to the chosen backends only, for every request or a fixed fraction of
them (deterministic: every n-th), so each run is the same. A hang is the emulator's own
(SIGSTOP behind the proxy): accepted connections that never answer.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import urlsplit

from tests.support.tools import free_port

FaultKind = Literal["500", "503", "throttle", "drop", "delay"]
LOST_ANSWER: frozenset[str] = frozenset({"drop", "delay"})
_DDB_ERROR = "com.amazonaws.dynamodb.v20120810#"
# Headers this hop sets itself (or that describe only one hop).
_HOP_BY_HOP = {
    "connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "server",
    "date",
}  # fmt: skip


def backend_of(target: str | None) -> str:
    """Which AWS service a request is for (JSON protocols name it in X-Amz-Target)."""
    if target and target.startswith("DynamoDB_"):
        return "dynamodb"
    if target and target.startswith("secretsmanager."):
        return "secretsmanager"
    return "s3"


def fault_response(kind: FaultKind, backend: str) -> tuple[int, str, bytes]:
    """(status, content type, body) exactly as the real service shapes that error."""
    if backend in ("dynamodb", "secretsmanager"):
        code = {
            "500": "InternalServerError",
            "503": "ServiceUnavailable",
            "throttle": "ThrottlingException",
        }[kind]
        status = 400 if kind == "throttle" else int(kind)
        prefix = _DDB_ERROR if backend == "dynamodb" else ""
        body = json.dumps({"__type": f"{prefix}{code}", "message": "injected by the test"})
        return status, "application/x-amz-json-1.0", body.encode()
    code, status = {
        "500": ("InternalError", 500),
        "503": ("ServiceUnavailable", 503),
        "throttle": ("SlowDown", 503),
    }[kind]
    xml = f"<Error><Code>{code}</Code><Message>injected by the test</Message></Error>"
    return status, "application/xml", f'<?xml version="1.0" encoding="UTF-8"?>\n{xml}'.encode()


@dataclass
class Fault:
    kind: FaultKind
    backends: frozenset[str] = frozenset({"dynamodb"})
    every: int = 1  # inject into every n-th request of those backends (1: all)
    operations: frozenset[str] | None = None  # only these operations (None: any)
    body_contains: bytes | None = None  # only requests whose body holds this
    limit: int | None = None  # at most this many injections (None: unbounded)
    delay_seconds: float = 0.0  # `delay`: how long the applied answer is held back

    def matches(self, backend: str, operation: str, body: bytes | None) -> bool:
        if backend not in self.backends:
            return False
        if self.operations is not None and operation not in self.operations:
            return False
        return self.body_contains is None or (body is not None and self.body_contains in body)


class FaultProxy:
    def __init__(self, upstream: str, port: int | None = None) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.port = port or free_port()
        self.fault: Fault | None = None
        self.forwarded: Counter[str] = Counter()  # "backend:operation" reaching the emulator
        self.injected: Counter[str] = Counter()
        self._seen = 0
        self._injections = 0
        self._lock = threading.Lock()
        self._server: _TrackingServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        proxy = self

        class Handler(_ForwardingHandler):
            owner = proxy

        server = _TrackingServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._server = server
        return self

    def refuse(self) -> None:
        """Close the listener: new connections are refused until `start()` again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            # Kept-alive connections would go on being served: cut them as a dead host would.
            self._server.cut_connections()
            self._server = None

    def stop(self) -> None:
        self.refuse()

    def set_fault(self, fault: Fault | None) -> None:
        with self._lock:
            self.fault = fault
            self._seen = 0
            self._injections = 0

    @property
    def injections(self) -> int:
        with self._lock:
            return self._injections

    def decide(self, backend: str, operation: str = "", body: bytes | None = None) -> Fault | None:
        with self._lock:
            fault = self.fault
            if fault is None or not fault.matches(backend, operation, body):
                return None
            if fault.limit is not None and self._injections >= fault.limit:
                return None
            self._seen += 1
            if self._seen % fault.every:
                return None
            self._injections += 1
            return fault

    def count(self, counter: Counter[str], key: str) -> None:
        with self._lock:
            counter[key] += 1


class _TrackingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client or the emulator hanging up mid-answer (a cut connection, a refused
        # listener) is what the faults are for, not an error worth a traceback.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def cut_connections(self) -> None:
        with self._connections_lock:
            for connection in self.connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)


class _ForwardingHandler(BaseHTTPRequestHandler):
    owner: FaultProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        return  # the emulator and the service log; the proxy stays quiet

    def _handle(self) -> None:
        body = self._read_body()
        target = self.headers.get("X-Amz-Target")
        backend = backend_of(target)
        operation = (target or "").rsplit(".", 1)[-1] or f"{self.command}"
        fault = self.owner.decide(backend, operation, body)
        if fault is not None:
            self.owner.count(self.owner.injected, f"{backend}:{operation}")
        if fault is not None and fault.kind not in LOST_ANSWER:
            status, content_type, payload = fault_response(fault.kind, backend)
            self._reply(status, [("Content-Type", content_type)], payload)
            return
        self.owner.count(self.owner.forwarded, f"{backend}:{operation}")
        connection = http.client.HTTPConnection(
            self.owner.upstream_host, self.owner.upstream_port, timeout=60
        )
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            if body is not None:
                headers["Content-Length"] = str(len(body))
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            passed = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
            passed = [(k, v) for k, v in passed if k.lower() != "content-length"]
        finally:
            connection.close()
        if fault is not None:
            self._lose_answer(fault, response.status, passed, payload)
            return
        self._reply(response.status, passed, payload)

    def _lose_answer(
        self, fault: Fault, status: int, headers: list[tuple[str, str]], payload: bytes
    ) -> None:
        """The request was applied upstream; the client never gets (in time) its answer."""
        self.close_connection = True
        if fault.kind == "delay":
            time.sleep(fault.delay_seconds)
            with contextlib.suppress(OSError):  # the client gave up and closed: expected
                self._reply(status, headers, payload)
                self.wfile.flush()
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _read_body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = self.headers.get("Content-Length")
        return self.rfile.read(int(length)) if length else None

    def _reply(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle  # noqa: N815 - stdlib's names
