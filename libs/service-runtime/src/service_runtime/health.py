"""Lifecycle (starting → ready → draining), dependency probes, and the probe endpoints.

Readiness answers "should the load balancer send this pod traffic?". A shared
dependency being down is not a reason: every pod would leave the load balancer at once,
clients would get the ALB's bare 503s, and the outage would vanish from the service's
own metrics. So dependencies are probed and reported, never gating readiness; only the
service's own checks (its key set loaded, say) and draining do.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Literal

import anyio
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field, WithJsonSchema

from service_runtime.aws import DependencyError
from service_runtime.logs import get_logger
from service_runtime.metrics import Metrics

log = get_logger("service_runtime.health")
_LIVE = b'{"status":"alive"}'
Timestamp = Annotated[datetime, WithJsonSchema({"type": "string", "format": "date-time",
                                                "maxLength": 32})]  # fmt: skip


class Liveness(BaseModel):
    status: Literal["alive"]


class DependencyStatus(BaseModel):
    up: bool
    checked_at: Timestamp | None = None
    error: str | None = Field(None, max_length=64, description="The failure's outcome")


class Readiness(BaseModel):
    status: Literal["ready", "starting", "draining"]
    checks: dict[str, bool]
    dependencies: dict[str, DependencyStatus]


class Lifecycle:
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics
        self.draining = False

    def begin_draining(self) -> None:
        if not self.draining:
            self.draining = True
            self._metrics.draining.set(1)
            log.info("draining: readiness now fails; still serving requests")


class DependencyMonitor:
    """Probes each backend every period; request-path calls update the same gauges."""

    def __init__(
        self,
        probes: Mapping[str, Callable[[], Awaitable[None]]],
        period_seconds: float,
        metrics: Metrics,
    ) -> None:
        self._probes = dict(probes)
        self._period = period_seconds
        self._metrics = metrics
        self.status: dict[str, DependencyStatus] = {
            name: DependencyStatus(up=False) for name in probes
        }

    async def check_once(self) -> None:
        async with anyio.create_task_group() as group:
            for backend, probe in self._probes.items():
                group.start_soon(self._check, backend, probe)

    async def _check(self, backend: str, probe: Callable[[], Awaitable[None]]) -> None:
        error: str | None = None
        try:
            await probe()
        except DependencyError as exc:
            error = exc.outcome
        except Exception as exc:  # a wrong permission or a missing table is still "down"
            error = type(exc).__name__
        previous = self.status[backend].up
        self.status[backend] = DependencyStatus(
            up=error is None, checked_at=datetime.now(UTC), error=error
        )
        self._metrics.dependency_up.labels(backend).set(1 if error is None else 0)
        if previous != (error is None):
            log.warning("dependency status changed", backend=backend, up=error is None, error=error)

    async def run(self) -> None:
        while True:
            await self.check_once()
            await anyio.sleep(self._period)


class Health:
    """What /readyz answers: the service's own checks and draining decide; dependencies,
    the monitor's and any the service tracks itself (`reported`), are only reported."""

    def __init__(
        self,
        metrics: Metrics,
        lifecycle: Lifecycle,
        monitor: DependencyMonitor,
        checks: Mapping[str, Callable[[], bool]],
        reported: Mapping[str, Callable[[], DependencyStatus]] | None = None,
    ) -> None:
        self.metrics = metrics
        self.lifecycle = lifecycle
        self.monitor = monitor
        self._checks = dict(checks)
        self._reported = dict(reported or {})

    @property
    def ready(self) -> bool:
        return all(check() for check in self._checks.values()) and not self.lifecycle.draining

    def readiness(self) -> Readiness:
        checks = {
            "started": True,
            **{name: check() for name, check in self._checks.items()},
            "not_draining": not self.lifecycle.draining,
        }
        if self.lifecycle.draining:
            status: Literal["ready", "starting", "draining"] = "draining"
        elif self.ready:
            status = "ready"
        else:
            status = "starting"
        dependencies = {
            **self.monitor.status,
            **{name: report() for name, report in self._reported.items()},
        }
        return Readiness(status=status, checks=checks, dependencies=dependencies)


def probe_router(health_of: Callable[[Request], Health]) -> APIRouter:
    """/livez, /readyz and /metrics; `health_of` finds the app instance's Health."""
    router = APIRouter(tags=["operations"])
    # A default, not an Annotated alias: the annotations are strings (PEP 563), and FastAPI
    # resolves them in this module's globals, where a local alias does not exist.
    health_dependency = Depends(health_of)

    @router.get("/livez", response_model=Liveness)
    async def livez() -> Response:
        """The process is alive. Never looks at dependencies: restarting cannot fix them."""
        return Response(_LIVE, media_type="application/json")

    @router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
    async def readyz(health: Health = health_dependency) -> JSONResponse:
        """Ready: started, the service's own checks, not draining. Dependencies are reported."""
        body = health.readiness()
        status = 200 if body.status == "ready" else 503
        return JSONResponse(body.model_dump(mode="json"), status_code=status)

    @router.get("/metrics", include_in_schema=False)
    async def metrics(health: Health = health_dependency) -> Response:
        return Response(generate_latest(health.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router
