"""The chart's PrometheusRule is the rule sources rendered with the environment's values:
rendering through Helm and rendering in Python give the same rules."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from observability.generate import rules
from observability.generate.params import ServiceParams
from tests.chart.rendering import (
    CHART,
    ENVIRONMENTS,
    NAMESPACE,
    SERVICE,
    Combo,
    helm_template,
    one,
    own_combo,
)
from tests.support.tools import require_tool


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _monitoring_values(combo: Combo) -> dict[str, Any]:
    values: dict[str, Any] = yaml.safe_load((CHART / "values.yaml").read_text())
    for path in combo.value_files():
        values = _merge(values, yaml.safe_load(path.read_text()) or {})
    return values["monitoring"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def helm() -> str:
    return require_tool("helm", "scripts/setup/helm.sh")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_helm_rendered_rules_equal_the_source_rendering(helm: str, env: str) -> None:
    combo = own_combo(env)
    monitoring = _monitoring_values(combo)
    rendered = one(helm_template(helm, combo.helm_args()), "PrometheusRule")
    slo = monitoring["slo"]
    params = ServiceParams(
        namespace=NAMESPACE,
        service=SERVICE,
        workload=SERVICE,
        team=monitoring["team"],
        availability=str(slo["availability"]),
        latency_le=str(slo["latencySeconds"]),
        latency_target=str(slo["latencyTarget"]),
        runbook_base_url=monitoring["runbookBaseUrl"],
    )
    expected = rules.render_plain(rules.SERVICE_SOURCES, params, monitoring["rules"]["set"])
    assert rendered["spec"] == expected


def test_prometheus_templates_survive_helm(helm: str) -> None:
    rendered = one(helm_template(helm, own_combo("prod").helm_args()), "PrometheusRule")
    descriptions = [
        r["annotations"]["description"]
        for g in rendered["spec"]["groups"]
        for r in g["rules"]
        if "alert" in r
    ]
    assert descriptions and all("{{ $value" in d for d in descriptions)


@pytest.mark.parametrize(("rule_set", "present"), [("essential", False), ("full", True)])
def test_rule_set_value_selects_the_groups(helm: str, rule_set: str, present: bool) -> None:
    args = [*own_combo("prod").helm_args(), "--set", f"monitoring.rules.set={rule_set}"]
    rendered = one(helm_template(helm, args), "PrometheusRule")
    alerts = {r.get("alert") for g in rendered["spec"]["groups"] for r in g["rules"]}
    assert ("ServicePodCrashLooping" in alerts) is present
    assert "ServiceAvailabilityFastBurn" in alerts


def test_rules_can_be_switched_off(helm: str) -> None:
    args = [*own_combo("prod").helm_args(), "--set", "monitoring.rules.enabled=false"]
    assert not [m for m in helm_template(helm, args) if m["kind"] == "PrometheusRule"]
