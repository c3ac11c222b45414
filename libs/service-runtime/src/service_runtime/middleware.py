"""Pure ASGI middleware (no BaseHTTPMiddleware: it costs throughput and breaks streaming).

- `RequestObservability`: request id, trace id, access log, metrics for every request.
- `RequestLimits`: header size, JSON body size and the body-receive deadline. uvicorn has
  no body or header timeout of its own, so a slow client could otherwise hold a worker
  slot forever; a service's streamed-upload routes (`streamed`) apply the same deadline
  while streaming.
- `RequestDeadline`, `HeadAsGet`, `ResponseHeaders`: one deadline per request, HEAD on
  every GET route, headers any handler may add to the response.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

import anyio
import structlog
from opentelemetry import trace
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service_runtime.deadline import request_deadline
from service_runtime.logs import get_logger
from service_runtime.metrics import Metrics
from service_runtime.problems import Problem, problem_response

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")
_QUIET_ROUTES = frozenset({"/livez", "/readyz", "/metrics"})
# Any token is a valid HTTP method; only these become label values, so a client cannot
# create new time series by inventing methods.
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# No path is streamed unless a service names its streamed-upload routes.
_NOTHING = re.compile(r"(?!)")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _trace_id(scope: Scope) -> str | None:
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        return format(context.trace_id, "032x")
    # Tracing off: still carry the caller's W3C trace id into the logs for correlation.
    match = _TRACEPARENT.match(_header(scope, b"traceparent") or "")
    return match.group(1) if match else None


class RequestObservability:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        # `<service>.access`: the logger the runbooks' log queries select.
        logger_name = f"{metrics.service}.access"
        self.access_log = get_logger(logger_name)
        # Probes arrive every few seconds from every kubelet and load balancer; their log
        # lines only matter when debugging, so skip building them at all otherwise.
        self.log_quiet_routes = logging.getLogger(logger_name).isEnabledFor(logging.DEBUG)
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id, trace_id=_trace_id(scope))
        status = 500
        response_started = False
        started = time.perf_counter()

        async def send_with_request_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = int(message["status"])
                response_started = True
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        self.metrics.http_in_flight.inc()
        try:
            await self.app(scope, receive, send_with_request_id)
        except Exception:
            # Starlette re-raises after its handler has sent the 500 (and ours logged it);
            # re-raising again would only make uvicorn log the same traceback twice.
            if status == 500 and response_started:
                return
            raise
        finally:
            self.metrics.http_in_flight.dec()
            self._record(scope, status, time.perf_counter() - started)
            structlog.contextvars.clear_contextvars()

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = scope["method"] if scope["method"] in _KNOWN_METHODS else "OTHER"
        key = (method, template, status)
        children = self._children.get(key)
        if children is None:  # bounded: known methods x route templates x status codes
            labels = (method, template, str(status))
            children = self._children[key] = (
                self.metrics.http_requests.labels(*labels),
                self.metrics.http_duration.labels(*labels),
            )
        children[0].inc()
        children[1].observe(seconds)
        quiet = template in _QUIET_ROUTES and status < 500
        if quiet and not self.log_quiet_routes:
            return
        log = self.access_log.debug if quiet else self.access_log.info
        log(
            "request",
            method=method,
            route=template,
            path=scope["path"],
            status=status,
            duration_ms=round(seconds * 1000, 2),
        )


class RequestLimits:
    def __init__(
        self,
        app: ASGIApp,
        max_header_bytes: int,
        max_json_bytes: int,
        body_timeout_seconds: float,
        streamed: re.Pattern[str] = _NOTHING,
    ) -> None:
        self.app = app
        self.max_header_bytes = max_header_bytes
        self.max_json_bytes = max_json_bytes
        self.body_timeout = body_timeout_seconds
        self.streamed = streamed  # paths whose body the route streams itself

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header_bytes = sum(len(k) + len(v) for k, v in scope.get("headers", []))
        if header_bytes > self.max_header_bytes:
            problem = Problem(
                431,
                "headers-too-large",
                "Request headers too large",
                f"Headers total {header_bytes} bytes; the limit is {self.max_header_bytes}.",
            )
            await problem_response(problem)(scope, receive, send)
            return
        if scope["method"] in {"GET", "HEAD", "OPTIONS"} or self.streamed.match(scope["path"]):
            await self.app(scope, receive, send)
            return
        try:
            body = await self._read_body(scope, receive)
        except Problem as problem:
            await problem_response(problem)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_json_bytes:
            raise _too_large(self.max_json_bytes)
        chunks: list[bytes] = []
        size = 0
        try:
            with anyio.fail_after(self.body_timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        break
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.max_json_bytes:
                        raise _too_large(self.max_json_bytes)
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            raise body_timeout_problem(self.body_timeout) from None
        return b"".join(chunks)


def _too_large(limit: int) -> Problem:
    return Problem(413, "body-too-large", "Request body too large", f"The limit is {limit} bytes.")


def body_timeout_problem(seconds: float) -> Problem:
    return Problem(
        408,
        "body-timeout",
        "Request body not received in time",
        f"The whole body must arrive within {seconds:g} seconds.",
        headers={"Connection": "close"},
    )


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return dict(await receive())

    return replay


class RequestDeadline:
    """Binds the request's deadline (docs/adr/0007): queueing for AWS workers counts.

    Streamed uploads (PUT on a `streamed` path) are governed by the service's own bounds
    and the body deadline instead: a 100 MiB body legitimately takes longer than any
    metadata deadline.
    """

    def __init__(self, app: ASGIApp, seconds: float, streamed: re.Pattern[str] = _NOTHING) -> None:
        self.app = app
        self.seconds = seconds
        self.streamed = streamed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (
            scope["method"] == "PUT" and self.streamed.match(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        with request_deadline(self.seconds):
            await self.app(scope, receive, send)


_HEAD = "service_runtime.head"


def is_head(scope: Scope) -> bool:
    """True when the client sent HEAD (served by the GET route, see HeadAsGet)."""
    return bool(scope.get(_HEAD, False))


class HeadAsGet:
    """HEAD on every GET route (RFC 9110 §9.1: servers MUST support it).

    The route runs as for GET, so status and headers (ETag, Content-Length, 304, 404) are
    the same; uvicorn, which keeps the request's real method, sends no body. A route
    that streams a body checks `is_head` so it does not open it at all.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "HEAD":
            scope = {**scope, "method": "GET", _HEAD: True}
        await self.app(scope, receive, send)


EXTRA_HEADERS = "service_runtime.extra_headers"


def add_response_headers(scope: Scope, headers: dict[str, str]) -> None:
    """Headers for this request's response, whichever route or error handler answers
    (depot's RateLimit fields, docs/adr/0008)."""
    holder = scope.get(EXTRA_HEADERS)
    if holder is not None:
        holder.update(headers)


class ResponseHeaders:
    """Adds what `add_response_headers` collected, unless the response set it itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra: dict[str, str] = {}
        scope[EXTRA_HEADERS] = extra

        async def send_with_extra(message: Message) -> None:
            if message["type"] == "http.response.start" and extra:
                present = {key.lower() for key, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *(
                        (name.lower().encode(), value.encode())
                        for name, value in extra.items()
                        if name.lower().encode() not in present
                    ),
                ]
            await send(message)

        await self.app(scope, receive, send_with_extra)
