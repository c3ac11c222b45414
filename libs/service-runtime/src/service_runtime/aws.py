"""The AWS client factory for the request path: explicit timeouts, pool size, retry mode;
every call measured, classified, and guarded by a circuit breaker and a worker limiter.

botocore's defaults (60 s timeouts, 10 pooled connections, legacy retries) would let a
hung dependency hold requests for minutes. Here a call either answers within
`attempts x (connect + read timeout)` or raises `DependencyError`, which the API turns
into a 503 with `Retry-After`. While a backend keeps failing, the breaker fails calls at
once so threads are not all parked on a dead endpoint; one trial call per open period
finds out when it is back.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import anyio
import anyio.to_thread
import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    HTTPClientError,
    ParamValidationError,
    ReadTimeoutError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from service_runtime.config import AwsClientSettings
from service_runtime.deadline import OverloadedError, remaining
from service_runtime.metrics import Metrics

T = TypeVar("T")
# The outcome label values of <service>_dependency_requests_total. `credentials`,
# `access_denied`, `sdk_error` and `deadline` were added to the original six: every
# failure that is not the request's fault is a 503, never a 500.
Outcome = Literal[
    "ok",
    "client_error",
    "throttled",
    "server_error",
    "timeout",
    "unreachable",
    "credentials",
    "access_denied",
    "sdk_error",
    "deadline",
]

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


def _custom_endpoint() -> bool:
    return bool(os.environ.get("AWS_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL_S3"))


class DependencyError(Exception):
    """A dependency failed in a way the caller cannot fix: answer 503."""

    def __init__(self, backend: str, outcome: Outcome, detail: str = "") -> None:
        super().__init__(f"{backend} {outcome}: {detail}")
        self.backend = backend
        self.outcome = outcome


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


# The pod's identity is wrong or expired (an IRSA token not refreshed, a revoked key).
_CREDENTIAL_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidAccessKeyId",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
    }
)
# The pod may not do this: IAM, a bucket or key policy, or a KMS key disabled or denied.
_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "KMS.AccessDeniedException",
        "KMS.DisabledException",
        "KMS.KMSInvalidStateException",
        "KMS.NotFoundException",
        "KMSAccessDeniedException",
        "KMSDisabledException",
        "KMSInvalidStateException",
        "KMSNotFoundException",
    }
)


def classify(exc: BaseException) -> Outcome:
    """Every botocore failure to one outcome; only `client_error` is the request's fault."""
    if isinstance(exc, ReadTimeoutError | ConnectTimeoutError):
        return "timeout"
    if isinstance(exc, ClientError):
        code = error_code(exc)
        if code in _THROTTLING_CODES:
            return "throttled"
        if code in _CREDENTIAL_CODES:
            return "credentials"
        if code in _DENIED_CODES or code.startswith("KMS"):
            return "access_denied"
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        return "server_error" if status >= 500 else "client_error"
    if "Credential" in type(exc).__name__ or "Token" in type(exc).__name__:
        # NoCredentialsError, CredentialRetrievalError, PartialCredentialsError,
        # TokenRetrievalError...: the identity could not be obtained or refreshed.
        return "credentials"
    if isinstance(exc, HTTPClientError | BotoConnectionError):
        # Connection refused/closed, SSLError, ProxyConnectionError, EndpointConnectionError.
        return "unreachable"
    return "sdk_error"


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
        """Throttles are never recorded: one hot tenant's throttling must not open the
        breaker for every tenant on the pod (the backend is answering)."""
        with self._lock:
            if healthy:
                self.failures = 0
                self.opened_at = None
                return
            self.failures += 1
            if self.failures >= self.threshold and self.opened_at is None:
                self.opened_at = time.monotonic()


def client_config(settings: AwsClientSettings) -> Config:
    """botocore's configuration for every client: the explicit bounds above."""
    return Config(
        region_name=settings.aws_region,
        connect_timeout=settings.aws_connect_timeout_seconds,
        read_timeout=settings.aws_read_timeout_seconds,
        retries={"mode": "standard", "total_max_attempts": settings.aws_max_attempts},
        max_pool_connections=settings.aws_max_pool_connections,
        tcp_keepalive=True,
        # Virtual-hosted on AWS: each bucket is its own origin, so a presigned URL
        # never shares an origin with another bucket. Path style only for an emulator
        # endpoint on loopback, which has no per-bucket host names.
        s3={"addressing_style": "path" if _custom_endpoint() else "virtual"},
    )


class AwsGateway:
    """The clients a service creates, and the one way it calls them.

    `workers` names each worker pool and its size: one per backend (as large as that
    client's connection pool) and any for blocking work that is not one AWS call
    (`run`), so quick calls never queue behind long transfers.
    """

    def __init__(
        self, settings: AwsClientSettings, metrics: Metrics, workers: Mapping[str, int]
    ) -> None:
        self.config = client_config(settings)
        self._settings = settings
        # Clients are created on one thread, by `client`: boto3 sessions are not
        # thread-safe, clients are.
        self._session = boto3.session.Session(region_name=settings.aws_region)
        self._metrics = metrics
        self._children: dict[tuple[str, str, str], tuple[Any, Any, Any]] = {}
        self._queue_seconds = settings.request_deadline_seconds
        self._limiters = {name: anyio.CapacityLimiter(size) for name, size in workers.items()}
        # The threads themselves: never the bottleneck (a caller holds its pool's token
        # first), only replacing anyio's default of 40 threads shared by everything.
        self._threads = anyio.CapacityLimiter(
            sum(int(limiter.total_tokens) for limiter in self._limiters.values())
        )
        self._breakers: dict[str, CircuitBreaker] = {}

    def client(self, backend: str, config: Config | None = None) -> Any:
        """A client of `backend` with the shared configuration (merged with `config`),
        guarded by a breaker of its own."""
        self._breakers[backend] = CircuitBreaker(
            self._settings.breaker_failure_threshold, self._settings.breaker_open_seconds
        )
        merged = self.config.merge(config) if config is not None else self.config
        return self._session.client(backend, config=merged)

    def call_sync(self, backend: str, operation: str, fn: Callable[[], T]) -> T:
        """Run one AWS call on this thread, measured and classified."""
        breaker = self._breakers[backend]
        if not breaker.allow():
            self._metrics.dependency_requests.labels(backend, operation, "unreachable").inc()
            raise DependencyError(backend, "unreachable", "circuit open")
        started = time.perf_counter()
        try:
            result = fn()
        except ParamValidationError:
            raise  # our bug, not the dependency's: a 500 that must be fixed
        except (ClientError, BotoCoreError) as exc:
            outcome = classify(exc)
            self._observe(backend, operation, outcome, started)
            if outcome == "client_error":
                breaker.record(healthy=True)  # the backend answered; the request was wrong
                raise
            if outcome != "throttled":
                breaker.record(healthy=False)
            raise DependencyError(backend, outcome, str(exc)) from exc
        self._observe(backend, operation, "ok", started)
        breaker.record(healthy=True)
        return result

    async def call(self, backend: str, operation: str, fn: Callable[[], T]) -> T:
        """Run one AWS call in the backend's worker pool (boto3 is blocking), after
        queueing at most until the request's deadline."""
        limiter = self._limiters[backend]
        await self._enter(limiter, backend, operation, remaining(self._queue_seconds))
        try:
            return await anyio.to_thread.run_sync(
                self.call_sync, backend, operation, fn, limiter=self._threads
            )
        finally:
            limiter.release()

    async def run(self, fn: Callable[[], T], pool: str, backend: str) -> T:
        """Run blocking work that is not itself one AWS call (streaming reads, presigning)
        in `pool`; a queue timeout is counted against `backend`."""
        limiter = self._limiters[pool]
        # A long download outlives any request deadline: each chunk may queue as long.
        await self._enter(limiter, backend, pool, self._queue_seconds)
        try:
            return await anyio.to_thread.run_sync(fn, limiter=self._threads)
        finally:
            limiter.release()

    async def _enter(
        self, limiter: anyio.CapacityLimiter, backend: str, operation: str, wait: float
    ) -> None:
        """Take a worker slot, waiting at most `wait` seconds (then 503 overloaded)."""
        try:
            limiter.acquire_nowait()
            return
        except anyio.WouldBlock:
            pass
        with anyio.move_on_after(max(wait, 0.0)):
            await limiter.acquire()
            return
        self._metrics.dependency_requests.labels(backend, operation, "deadline").inc()
        raise OverloadedError(f"{backend} workers")

    def _observe(self, backend: str, operation: str, outcome: Outcome, started: float) -> None:
        key = (backend, operation, outcome)
        children = self._children.get(key)
        if children is None:
            # prometheus_client's labels() validates and locks on every call; the label
            # values are bounded (backend x operation x outcome), so keep the children.
            children = self._children[key] = (
                self._metrics.dependency_duration.labels(backend, operation),
                self._metrics.dependency_requests.labels(backend, operation, outcome),
                self._metrics.dependency_up.labels(backend),
            )
        duration, requests, up = children
        duration.observe(time.perf_counter() - started)
        requests.inc()
        up.set(1 if outcome in ("ok", "client_error") else 0)


def is_conditional_failure(exc: BaseException) -> bool:
    return isinstance(exc, ClientError) and error_code(exc) in {
        "ConditionalCheckFailedException",
        "TransactionCanceledException",
    }


def is_missing(exc: BaseException) -> bool:
    return isinstance(exc, ClientError) and error_code(exc) in {"NoSuchKey", "404", "NotFound"}
