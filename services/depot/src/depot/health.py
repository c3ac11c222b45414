"""Lifecycle state (starting → ready → draining) and the background dependency probe.

Readiness answers "should the load balancer send this pod traffic?". A shared
dependency being down is not a reason: every pod would leave the load balancer at once,
clients would get the ALB's bare 503s, and the outage would vanish from the service's
own metrics. So dependencies are probed and reported, never gating readiness.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import anyio
from service_runtime.logs import get_logger

from depot.aws import Backend, DependencyError
from depot.metrics import Metrics
from depot.models import DependencyStatus

log = get_logger("depot.health")


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
        probes: dict[Backend, Callable[[], Awaitable[None]]],
        period_seconds: float,
        metrics: Metrics,
    ) -> None:
        self._probes = probes
        self._period = period_seconds
        self._metrics = metrics
        self.status: dict[str, DependencyStatus] = {
            name: DependencyStatus(up=False) for name in probes
        }

    async def check_once(self) -> None:
        async with anyio.create_task_group() as group:
            for backend, probe in self._probes.items():
                group.start_soon(self._check, backend, probe)

    async def _check(self, backend: Backend, probe: Callable[[], Awaitable[None]]) -> None:
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
