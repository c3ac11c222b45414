"""The Prometheus metrics contract every service exposes at /metrics.

The names, labels and buckets are what the platform's SLO rules, alerts, dashboards and
autoscaler read (observability/rules, the chart's ScaledObject): `http_requests_total`
and `http_request_duration_seconds` by method, route template and status;
`<service>_dependency_requests_total` by backend, operation and outcome. Labels are
bounded: route templates, never raw paths, ids or tenants.

Each app instance gets its own registry so tests can build several apps in one process.
"""

from __future__ import annotations

import platform
from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)

# Bucket boundaries include the SLO latency thresholds (0.1, 0.25, 0.3, 0.5 s). Those are
# not integers, so a rule's `le="0.3"` matches the same series in Prometheus 2 and 3
# (Prometheus 3 renders integer bounds as "1", not "1.0").
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.3, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0)
DEPENDENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
HTTP_LABELS = ("method", "route", "status")


@dataclass(frozen=True)
class Metrics:
    service: str
    registry: CollectorRegistry
    http_requests: Counter
    http_duration: Histogram
    http_in_flight: Gauge
    dependency_requests: Counter
    dependency_duration: Histogram
    dependency_up: Gauge
    draining: Gauge
    build_info: Gauge


def create_metrics(service: str, version: str, revision: str, backends: Iterable[str]) -> Metrics:
    """The registry of one app instance; `service` prefixes the service's own metrics, and
    each of `backends` starts as down until a call or probe succeeds."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    metrics = Metrics(
        service=service,
        registry=registry,
        http_requests=Counter(
            "http_requests_total",
            "HTTP requests by method, route template and status code.",
            HTTP_LABELS,
            registry=registry,
        ),
        http_duration=Histogram(
            "http_request_duration_seconds",
            "HTTP request duration until the response is complete.",
            HTTP_LABELS,
            buckets=HTTP_BUCKETS,
            registry=registry,
        ),
        http_in_flight=Gauge(
            "http_requests_in_flight", "HTTP requests being served.", registry=registry
        ),
        dependency_requests=Counter(
            f"{service}_dependency_requests_total",
            "Calls to AWS dependencies by backend, operation and outcome.",
            ["backend", "operation", "outcome"],
            registry=registry,
        ),
        dependency_duration=Histogram(
            f"{service}_dependency_request_duration_seconds",
            "Duration of calls to AWS dependencies, retries included.",
            ["backend", "operation"],
            buckets=DEPENDENCY_BUCKETS,
            registry=registry,
        ),
        dependency_up=Gauge(
            f"{service}_dependency_up",
            "1 when the last call or probe to the backend succeeded.",
            ["backend"],
            registry=registry,
        ),
        draining=Gauge(f"{service}_draining", "1 once shutdown has begun.", registry=registry),
        build_info=Gauge(
            f"{service}_build_info",
            "Build of the running service (always 1).",
            ["version", "revision", "python_version"],
            registry=registry,
        ),
    )
    metrics.build_info.labels(version, revision, platform.python_version()).set(1)
    for backend in backends:
        metrics.dependency_up.labels(backend).set(0)
    return metrics
