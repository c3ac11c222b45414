"""The chart's shutdown and probe timings, as deployed for depot (chart defaults merged
with gitops/services/depot.yaml), so the rollout harness reproduces what runs in EKS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from tests.support.tools import ROOT


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@dataclass(frozen=True)
class ChartTimings:
    pre_stop_seconds: float
    drain_seconds: float
    shutdown_timeout_seconds: float
    grace_seconds: float
    readiness_period_seconds: float
    deregistration_delay_seconds: float


def chart_timings() -> ChartTimings:
    values = yaml.safe_load((ROOT / "charts/service/values.yaml").read_text())
    service = yaml.safe_load((ROOT / "gitops/services/depot.yaml").read_text())
    merged = _merge(values, service)
    shutdown = merged["shutdown"]
    return ChartTimings(
        pre_stop_seconds=float(shutdown["preStopSeconds"]),
        drain_seconds=float(shutdown["drainSeconds"]),
        shutdown_timeout_seconds=float(shutdown["timeoutSeconds"]),
        grace_seconds=float(merged["terminationGracePeriodSeconds"]),
        readiness_period_seconds=float(merged["probes"]["readiness"]["periodSeconds"]),
        deregistration_delay_seconds=float(merged["ingress"]["deregistrationDelaySeconds"]),
    )
