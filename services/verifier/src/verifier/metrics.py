"""The worker's own metrics, beside the runtime's contract (service_runtime.metrics) in
the same registry: messages by outcome, and how long one verification takes."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import Counter, Histogram
from service_runtime.metrics import Metrics

VERIFICATION_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


@dataclass(frozen=True)
class WorkerMetrics:
    messages: Counter
    duration: Histogram


def create_worker_metrics(metrics: Metrics) -> WorkerMetrics:
    return WorkerMetrics(
        messages=Counter(
            "verifier_messages_total",
            "Messages handled, by outcome (verified, mismatch, unchanged, superseded, gone, "
            "not_committed, poison, error, released).",
            ["outcome"],
            registry=metrics.registry,
        ),
        duration=Histogram(
            "verifier_verification_duration_seconds",
            "Time from receiving a message to its verdict, object read included.",
            buckets=VERIFICATION_BUCKETS,
            registry=metrics.registry,
        ),
    )
