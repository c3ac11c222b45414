"""AWS clients for the request path: explicit timeouts, pool size, retry mode; every call
measured, classified, and guarded by a circuit breaker.

botocore's defaults (60 s timeouts, 10 pooled connections, legacy retries) would let a
hung dependency hold requests for minutes. Here a call either answers within
`attempts x (connect + read timeout)` or raises `DependencyError`, which the API turns
into a 503 with `Retry-After`. While a backend keeps failing, the breaker fails calls at
once so threads are not all parked on a dead endpoint; one trial call per open period
finds out when it is back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import anyio
import anyio.to_thread
import boto3
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from depot.config import Settings
from depot.metrics import Metrics

Backend = Literal["dynamodb", "s3", "secretsmanager"]
Outcome = Literal["ok", "client_error", "throttled", "server_error", "timeout", "unreachable"]
T = TypeVar("T")

_THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "RequestThrottled",
        "SlowDown",
        "TooManyRequestsException",
    }
)


class DependencyError(Exception):
    """A dependency failed in a way the caller cannot fix: answer 503."""

    def __init__(self, backend: Backend, outcome: Outcome, detail: str = "") -> None:
        super().__init__(f"{backend} {outcome}: {detail}")
        self.backend = backend
        self.outcome = outcome


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def classify(exc: BaseException) -> Outcome:
    if isinstance(exc, ReadTimeoutError | ConnectTimeoutError):
        return "timeout"
    if isinstance(exc, EndpointConnectionError | ConnectionClosedError):
        return "unreachable"
    if isinstance(exc, ClientError):
        if error_code(exc) in _THROTTLING_CODES:
            return "throttled"
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        return "server_error" if status >= 500 else "client_error"
    return "unreachable"


@dataclass
class CircuitBreaker:
    """Opens after `threshold` consecutive failures; lets one trial call per `open_seconds`."""

    threshold: int
    open_seconds: float
    failures: int = 0
    opened_at: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self) -> bool:
        with self._lock:
            if self.opened_at is None:
                return True
            if time.monotonic() - self.opened_at >= self.open_seconds:
                self.opened_at = time.monotonic()  # this caller is the trial; others wait
                return True
            return False

    def record(self, healthy: bool) -> None:
        with self._lock:
            if healthy:
                self.failures = 0
                self.opened_at = None
                return
            self.failures += 1
            if self.failures >= self.threshold and self.opened_at is None:
                self.opened_at = time.monotonic()


class Aws:
    """The three clients, and the one way the service calls them."""

    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        config = Config(
            region_name=settings.aws_region,
            connect_timeout=settings.aws_connect_timeout_seconds,
            read_timeout=settings.aws_read_timeout_seconds,
            retries={"mode": "standard", "total_max_attempts": settings.aws_max_attempts},
            max_pool_connections=settings.aws_max_pool_connections,
            tcp_keepalive=True,
            s3={"addressing_style": "path"},
        )
        session = boto3.session.Session(region_name=settings.aws_region)
        # Clients are created once, here, on one thread: boto3 sessions are not thread-safe,
        # clients are.
        self.dynamodb = session.client("dynamodb", config=config)
        self.s3 = session.client("s3", config=config)
        self.secretsmanager = session.client("secretsmanager", config=config)
        self._metrics = metrics
        self._limiter = anyio.CapacityLimiter(settings.aws_max_pool_connections)
        self._breakers: dict[Backend, CircuitBreaker] = {
            backend: CircuitBreaker(
                settings.breaker_failure_threshold, settings.breaker_open_seconds
            )
            for backend in ("dynamodb", "s3", "secretsmanager")
        }

    def call_sync(self, backend: Backend, operation: str, fn: Callable[[], T]) -> T:
        """Run one AWS call on this thread, measured and classified."""
        breaker = self._breakers[backend]
        if not breaker.allow():
            self._metrics.dependency_requests.labels(backend, operation, "unreachable").inc()
            raise DependencyError(backend, "unreachable", "circuit open")
        started = time.perf_counter()
        try:
            result = fn()
        except (ClientError, ReadTimeoutError, ConnectTimeoutError, EndpointConnectionError,
                ConnectionClosedError) as exc:  # fmt: skip
            outcome = classify(exc)
            self._observe(backend, operation, outcome, started)
            if outcome == "client_error":
                breaker.record(healthy=True)  # the backend answered; the request was wrong
                raise
            breaker.record(healthy=False)
            raise DependencyError(backend, outcome, str(exc)) from exc
        self._observe(backend, operation, "ok", started)
        breaker.record(healthy=True)
        return result

    async def call(self, backend: Backend, operation: str, fn: Callable[[], T]) -> T:
        """Run one AWS call in the worker pool (boto3 is blocking)."""
        return await anyio.to_thread.run_sync(
            self.call_sync, backend, operation, fn, limiter=self._limiter
        )

    async def run(self, fn: Callable[[], T]) -> T:
        """Run blocking work that is not itself one AWS call (e.g. streaming reads)."""
        return await anyio.to_thread.run_sync(fn, limiter=self._limiter)

    def _observe(self, backend: Backend, operation: str, outcome: Outcome, started: float) -> None:
        self._metrics.dependency_duration.labels(backend, operation).observe(
            time.perf_counter() - started
        )
        self._metrics.dependency_requests.labels(backend, operation, outcome).inc()
        healthy = outcome in ("ok", "client_error")
        self._metrics.dependency_up.labels(backend).set(1 if healthy else 0)


def is_conditional_failure(exc: BaseException) -> bool:
    return isinstance(exc, ClientError) and error_code(exc) in {
        "ConditionalCheckFailedException",
        "TransactionCanceledException",
    }


def is_missing(exc: BaseException) -> bool:
    return isinstance(exc, ClientError) and error_code(exc) in {"NoSuchKey", "404", "NotFound"}
