"""The worker's process: the receive loop, plus a small HTTP port for the platform's
probes and metrics (no ingress: nothing else is served).

Lifecycle (service_runtime): on SIGTERM readiness fails and the loop stops receiving at
once; the server keeps answering probes for the drain period; at shutdown the lifespan
waits for the message in hand to be finished, then the process exits 0.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import anyio
from fastapi import FastAPI, Request
from service_runtime.health import DependencyMonitor, Health, Lifecycle, probe_router
from service_runtime.logs import get_logger
from service_runtime.metrics import create_metrics

from verifier.aws import BACKENDS, Aws
from verifier.config import Settings
from verifier.metrics import create_worker_metrics
from verifier.queue import Queue
from verifier.store import Store
from verifier.verify import Verifier
from verifier.worker import Worker

log = get_logger("verifier.app")


def create_app(settings: Settings) -> FastAPI:
    """The process's one app: the loop runs in its lifespan, the probes see it through
    `Health`. The Lifecycle the drain needs is `app.state.health.lifecycle`."""
    metrics = create_metrics("verifier", settings.version, settings.revision, BACKENDS)
    aws = Aws(settings, metrics)
    store = Store(aws, settings.table_name)
    queue = Queue(aws, settings.queue_url, settings.wait_seconds,
                  settings.visibility_timeout_seconds)  # fmt: skip
    lifecycle = Lifecycle(metrics)
    worker = Worker(
        queue,
        Verifier(store, settings.bucket_name, settings.s3_prefix, lambda: datetime.now(UTC)),
        create_worker_metrics(metrics),
        settings.retry_delay_seconds,
        draining=lambda: lifecycle.draining,
    )
    dependencies = DependencyMonitor(
        # S3 is not probed: the role may read only announced objects, no bucket call.
        {"dynamodb": store.probe, "sqs": queue.probe},
        settings.dependency_check_seconds,
        metrics,
    )
    health = Health(metrics, lifecycle, dependencies, checks={"polling": lambda: worker.polling})

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with anyio.create_task_group() as background:
            for task in (dependencies.run, worker.run):
                background.start_soon(task)
            log.info("started", version=settings.version, port=settings.port,
                     queue=settings.queue_url)  # fmt: skip
            yield
            worker.stop()
            # The message in hand is finished: its verdict is written and it is deleted
            # (or handed back) before the process exits.
            await worker.stopped.wait()
            background.cancel_scope.cancel()

    app = FastAPI(title="verifier", openapi_url=None, docs_url=None, redoc_url=None,
                  lifespan=lifespan)  # fmt: skip
    app.state.health = health

    def health_of(request: Request) -> Health:
        found: Health = request.app.state.health
        return found

    app.include_router(probe_router(health_of))
    return app
