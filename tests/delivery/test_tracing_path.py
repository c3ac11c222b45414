"""Traces go nowhere the platform cannot receive them.

depot can export OpenTelemetry traces over OTLP when the standard `OTEL_*` variables ask
for it (services/depot/src/depot/tracing.py), but the platform runs no OTLP receiver and
no trace backend: Alloy's pipeline only ships logs, and the chart's NetworkPolicy opens
OTLP only to a collector named in `networkPolicy.otelCollector`. The docs say tracing is
off in every environment; this checks it over what Argo CD would apply, and that turning
it on needs a receiver and an open egress path.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.delivery.test_gitops_renders import APPS
from tests.delivery.test_replica_ownership import render
from tests.support.tools import ROOT

ALLOY_PIPELINE = ROOT / "observability" / "logging" / "config.alloy"
# Any of these makes the SDK export (tracing.py's _ENABLING); "none" switches it off.
EXPORTING = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
OTLP_PORTS = {4317, 4318}


def exporters(objects: list[dict[str, Any]]) -> list[str]:
    """Containers of the rendered workloads that would export traces."""
    found = []
    for obj in objects:
        if obj["kind"] not in {"Deployment", "Rollout"}:
            continue
        for container in obj["spec"]["template"]["spec"]["containers"]:
            env = {e["name"]: e.get("value", "") for e in container.get("env", [])}
            on = any(env.get(name) for name in EXPORTING) or env.get(
                "OTEL_TRACES_EXPORTER", "none"
            ) not in {"", "none"}
            if on and env.get("OTEL_SDK_DISABLED", "").lower() != "true":
                found.append(f"{obj['metadata']['name']}/{container['name']}")
    return found


def otlp_egress(objects: list[dict[str, Any]]) -> bool:
    for obj in objects:
        if obj["kind"] != "NetworkPolicy":
            continue
        for rule in obj["spec"].get("egress", []):
            if {p.get("port") for p in rule.get("ports", [])} & OTLP_PORTS:
                return True
    return False


def tracing_problems(objects: list[dict[str, Any]], pipeline: str) -> list[str]:
    problems = []
    for container in exporters(objects):
        if "otelcol.receiver.otlp" not in pipeline:
            problems.append(f"{container} exports OTLP but the platform runs no OTLP receiver")
        if not otlp_egress(objects):
            problems.append(f"{container} exports OTLP but its NetworkPolicy denies the egress")
    return problems


@pytest.mark.parametrize("app", APPS, ids=[a["metadata"]["name"] for a in APPS])
def test_no_environment_exports_traces_as_the_docs_say(app: dict[str, Any]) -> None:
    objects = render(app)
    assert tracing_problems(objects, ALLOY_PIPELINE.read_text()) == []
    # services/depot/README.md (`OTEL_*` row): "No environment sets them".
    assert exporters(objects) == []


def test_exporting_without_a_receiver_is_refused() -> None:
    objects = copy.deepcopy(render(APPS[0]))
    for obj in objects:
        if obj["kind"] in {"Deployment", "Rollout"}:
            container = obj["spec"]["template"]["spec"]["containers"][0]
            container.setdefault("env", []).append(
                {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://alloy.logging:4318"}
            )
    problems = tracing_problems(objects, ALLOY_PIPELINE.read_text())
    assert any("no OTLP receiver" in p for p in problems), problems
    assert any("denies the egress" in p for p in problems), problems
