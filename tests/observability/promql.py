"""Small PromQL helpers for the tests: dashboard variables and metric names in a query."""

from __future__ import annotations

import re

from observability.dashboards.model import Panel, Query
from observability.dashboards.panels import DASHBOARDS

# What Grafana would substitute, for the service under test.
VARIABLES = {"$namespace": "depot", "$service": "depot", "$__rate_interval": "30s"}
_KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
    "and", "or", "unless", "offset", "inf", "nan",
}  # fmt: skip


def substitute_variables(expr: str, variables: dict[str, str] | None = None) -> str:
    for name, value in sorted((variables or VARIABLES).items(), key=lambda kv: -len(kv[0])):
        expr = expr.replace(name, value)
    return expr


def all_dashboard_queries() -> list[tuple[str, Panel, Query]]:
    return [(d.uid, p, q) for d in DASHBOARDS for p in d.panels for q in p.queries]


def metric_names(expr: str) -> set[str]:
    """Metric names a PromQL expression selects (without a parser: strings, label
    matchers, grouping clauses and ranges are removed first; what remains and is not a
    function call, keyword or number is a metric name)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?", text):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in _KEYWORDS:
            continue
        names.add(name)
    return names
