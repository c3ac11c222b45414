"""Run an ASGI app under uvicorn with the drain sequence Kubernetes needs.

On SIGTERM (or SIGINT): readiness fails at once and requests keep being served for
`drain_seconds` while load balancers deregister the pod; then the listener closes,
in-flight requests get `shutdown_timeout_seconds`, and the process exits 0. A second
signal during the drain skips straight to the shutdown. The chart's timings assume this
sequence (terminationGracePeriodSeconds > preStop + drain + shutdown, ADR 0005).
"""

from __future__ import annotations

import math
import signal
import time
from types import FrameType

import uvicorn
from starlette.types import ASGIApp

from service_runtime.config import ServiceSettings
from service_runtime.health import Lifecycle
from service_runtime.logs import get_logger

log = get_logger("service_runtime.server")


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, lifecycle: Lifecycle, drain_seconds: float) -> None:
        super().__init__(config)
        self._lifecycle = lifecycle
        self._drain_seconds = drain_seconds
        self._drain_deadline: float | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # Not calling super() on the first signal: uvicorn would stop accepting at once and,
        # after shutting down, re-raise the signal so the process dies by it instead of
        # exiting 0.
        if self._drain_deadline is None:
            self._lifecycle.begin_draining()
            self._drain_deadline = time.monotonic() + self._drain_seconds
            log.info("signal received; draining", signal=signal.Signals(sig).name,
                     drain_seconds=self._drain_seconds)  # fmt: skip
            return
        log.info("second signal; shutting down now", signal=signal.Signals(sig).name)
        if self.should_exit:
            self.force_exit = True
        self.should_exit = True

    async def on_tick(self, counter: int) -> bool:
        if self._drain_deadline is not None and time.monotonic() >= self._drain_deadline:
            if not self.should_exit:
                log.info("drain period over; closing the listener")
            self.should_exit = True
        return await super().on_tick(counter)


def server_config(app: ASGIApp, settings: ServiceSettings) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=False,
        # Longer than the ALB's idle timeout (60 s), so the ALB, not the pod, closes idle
        # connections: otherwise a request racing the close gets a 502.
        timeout_keep_alive=settings.keepalive_seconds,
        timeout_graceful_shutdown=math.ceil(settings.shutdown_timeout_seconds),
    )


def serve(app: ASGIApp, settings: ServiceSettings, lifecycle: Lifecycle) -> None:
    """Serve until a signal, then drain as above; returns once the process may exit 0."""
    DrainingServer(server_config(app, settings), lifecycle, settings.drain_seconds).run()
    log.info("stopped")
