"""A minimal service on the runtime, run as a real process by test_server.py.

Usage: python drain_app.py PORT DRAIN_SECONDS [plain]   (plain: uvicorn's own server,
without the drain sequence: the must-fail case).
"""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI, Request

from service_runtime.config import ServiceSettings
from service_runtime.health import DependencyMonitor, Health, Lifecycle, probe_router
from service_runtime.logs import configure_logging
from service_runtime.metrics import create_metrics
from service_runtime.server import serve, server_config


def main() -> None:
    port, drain = int(sys.argv[1]), float(sys.argv[2])
    settings = ServiceSettings(
        host="127.0.0.1", port=port, drain_seconds=drain, shutdown_timeout_seconds=2
    )
    configure_logging("INFO")
    metrics = create_metrics("example", "1", "r", [])
    lifecycle = Lifecycle(metrics)
    health = Health(metrics, lifecycle, DependencyMonitor({}, 10, metrics), checks={})
    app = FastAPI()

    def health_of(_: Request) -> Health:
        return health

    app.include_router(probe_router(health_of))
    if sys.argv[3:] == ["plain"]:
        uvicorn.Server(server_config(app, settings)).run()
    else:
        serve(app, settings, lifecycle)


if __name__ == "__main__":
    main()
