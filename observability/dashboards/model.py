"""The shape of a dashboard, independent of Grafana's JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# `service`: the service's own metrics (and rules over them), queried live in the tests.
# `kubernetes`: kube-state-metrics / cAdvisor series, which only a cluster has; the
# tests query them against synthetic series with the exporters' real names and labels.
Source = Literal["service", "kubernetes"]


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""


@dataclass(frozen=True)
class Panel:
    title: str
    description: str
    queries: tuple[Query, ...]
    unit: str = "short"
    kind: Literal["timeseries", "stat"] = "timeseries"
    source: Source = "service"
    # Thresholds for stat panels: (value, colour) steps above the base colour.
    thresholds: tuple[tuple[float, str], ...] = ()


@dataclass(frozen=True)
class Dashboard:
    uid: str
    title: str
    description: str
    panels: tuple[Panel, ...]
    tags: tuple[str, ...] = field(default=("platform",))
