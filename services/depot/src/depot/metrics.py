"""Prometheus metrics. Labels are bounded: route templates, never raw paths, ids or tenants.

Each app instance gets its own registry so tests can build several apps in one process.
"""

from __future__ import annotations

import platform
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


@dataclass(frozen=True)
class Metrics:
    registry: CollectorRegistry
    http_requests: Counter
    http_duration: Histogram
    http_in_flight: Gauge
    dependency_requests: Counter
    dependency_duration: Histogram
    dependency_up: Gauge
    keys_loaded: Gauge
    keys_last_refresh: Gauge
    draining: Gauge
    build_info: Gauge


def create_metrics(version: str, revision: str) -> Metrics:
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    metrics = Metrics(
        registry=registry,
        http_requests=Counter(
            "http_requests_total",
            "HTTP requests by method, route template and status code.",
            ["method", "route", "status"],
            registry=registry,
        ),
        http_duration=Histogram(
            "http_request_duration_seconds",
            "HTTP request duration until the response is complete.",
            ["method", "route", "status"],
            buckets=HTTP_BUCKETS,
            registry=registry,
        ),
        http_in_flight=Gauge(
            "http_requests_in_flight", "HTTP requests being served.", registry=registry
        ),
        dependency_requests=Counter(
            "depot_dependency_requests_total",
            "Calls to AWS dependencies by backend, operation and outcome.",
            ["backend", "operation", "outcome"],
            registry=registry,
        ),
        dependency_duration=Histogram(
            "depot_dependency_request_duration_seconds",
            "Duration of calls to AWS dependencies, retries included.",
            ["backend", "operation"],
            buckets=DEPENDENCY_BUCKETS,
            registry=registry,
        ),
        dependency_up=Gauge(
            "depot_dependency_up",
            "1 when the last call or probe to the backend succeeded.",
            ["backend"],
            registry=registry,
        ),
        keys_loaded=Gauge(
            "depot_keys_loaded", "API keys in the loaded key set.", registry=registry
        ),
        keys_last_refresh=Gauge(
            "depot_keys_last_refresh_timestamp_seconds",
            "Unix time of the last successful key set refresh.",
            registry=registry,
        ),
        draining=Gauge("depot_draining", "1 once shutdown has begun.", registry=registry),
        build_info=Gauge(
            "depot_build_info",
            "Build of the running service (always 1).",
            ["version", "revision", "python_version"],
            registry=registry,
        ),
    )
    metrics.build_info.labels(version, revision, platform.python_version()).set(1)
    for backend in ("dynamodb", "s3", "secretsmanager"):
        metrics.dependency_up.labels(backend).set(0)
    return metrics
