"""Serve depot: tracing, the instance, and the platform's draining server
(service_runtime.server: SIGTERM fails readiness, serves DEPOT_DRAIN_SECONDS, then closes
the listener and gives in-flight requests DEPOT_SHUTDOWN_TIMEOUT_SECONDS)."""

from __future__ import annotations

from service_runtime.server import serve as serve_app
from service_runtime.tracing import configure_tracing

from depot.app import create_app
from depot.config import Settings
from depot.runtime import build_runtime


def serve(settings: Settings) -> None:
    configure_tracing("depot")
    runtime = build_runtime(settings)
    serve_app(create_app(runtime), settings, runtime.lifecycle)
