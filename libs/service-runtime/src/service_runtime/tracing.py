"""OpenTelemetry tracing, off unless the standard OTEL_* variables ask for it.

On: OTLP/HTTP export configured entirely by OTEL_* (endpoint, headers, sampler, service
name), W3C trace context accepted from callers, and every AWS SDK call a child span.
"""

from __future__ import annotations

import os

from starlette.types import ASGIApp

from service_runtime.logs import get_logger

log = get_logger("service_runtime.tracing")
_ENABLING = (
    "OTEL_TRACES_EXPORTER",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
)
# The probes and the scrape: every few seconds from every kubelet and Prometheus.
UNTRACED = "livez,readyz,metrics"


def tracing_enabled() -> bool:
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    exporter = os.environ.get("OTEL_TRACES_EXPORTER", "")
    if exporter == "none":
        return False
    return any(os.environ.get(name) for name in _ENABLING)


def configure_tracing(service_name: str) -> None:
    """Install the SDK tracer provider and instrument botocore, when enabled.
    `service_name` is the default of OTEL_SERVICE_NAME."""
    if not tracing_enabled():
        return
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    os.environ.setdefault("OTEL_SERVICE_NAME", service_name)
    provider = TracerProvider(resource=Resource.create())
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    BotocoreInstrumentor().instrument()  # type: ignore[no-untyped-call]
    log.info("tracing enabled", exporter="otlp")


def instrument_asgi(app: ASGIApp) -> ASGIApp:
    if not tracing_enabled():
        return app
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    return OpenTelemetryMiddleware(app, excluded_urls=UNTRACED)
