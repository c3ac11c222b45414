"""Render the rule sources (observability/rules/*.yaml) into their deployable forms."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml

from observability.generate.params import BASE_FIELDS, ServiceParams, derive
from observability.generate.yamlio import dump

RULES_DIR = Path(__file__).resolve().parents[1] / "rules"
# Rendered into every service's PrometheusRule by the chart.
SERVICE_SOURCES = ("slo.yaml", "service.yaml")
# Deployed once per cluster.
PLATFORM_SOURCE = "platform.yaml"
RULE_SETS = ("full", "essential")

_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")
_RANGE = re.compile(r"\[(\d+[smhd])\]")
_PROM_TEMPLATE = re.compile(r"\{\{(.+?)\}\}")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

Group = dict[str, Any]


class SourceError(ValueError):
    """A rule source is malformed; the message names the file and the fix."""


def load_groups(names: tuple[str, ...] | list[str]) -> list[Group]:
    groups: list[Group] = []
    for name in names:
        doc = yaml.safe_load((RULES_DIR / name).read_text())
        for group in doc["groups"]:
            group.setdefault("set", "full")
            if group["set"] not in RULE_SETS:
                raise SourceError(
                    f"{name}: group {group['name']!r} has set={group['set']!r}; "
                    f"use one of {RULE_SETS}"
                )
            group["rules"] = [r for rule in group["rules"] for r in _expand_windows(rule)]
            groups.append(group)
    return groups


def _expand_windows(rule: dict[str, Any]) -> list[dict[str, Any]]:
    windows = rule.pop("windows", None)
    if not windows:
        return [rule]
    expanded = []
    for window in windows:
        copy_ = copy.deepcopy(rule)
        for key in ("record", "expr"):
            copy_[key] = copy_[key].replace("${window}", window)
        expanded.append(copy_)
    return expanded


def substitute(value: Any, mapping: dict[str, str]) -> Any:
    """Fill ${name} placeholders in every string of a nested structure."""
    if isinstance(value, str):

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in mapping:
                raise SourceError(f"unknown placeholder ${{{name}}}; known: {sorted(mapping)}")
            return mapping[name]

        return _PLACEHOLDER.sub(one, value)
    if isinstance(value, list):
        return [substitute(v, mapping) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, mapping) for k, v in value.items()}
    return value


def scale_duration(duration: str, divisor: int) -> str:
    seconds = int(duration[:-1]) * _SECONDS[duration[-1]]
    millis = seconds * 1000 // divisor
    return f"{millis // 1000}s" if millis % 1000 == 0 else f"{millis}ms"


def shorten_windows(groups: list[Group], divisor: int) -> list[Group]:
    """Divide every range and `for` by `divisor`: a test variant in which an hour of
    burn takes a minute. Thresholds, names and expressions stay those of the source."""
    result = copy.deepcopy(groups)
    for group in result:
        for rule in group["rules"]:
            rule["expr"] = _RANGE.sub(
                lambda m: f"[{scale_duration(m.group(1), divisor)}]", rule["expr"]
            )
            if "for" in rule:
                rule["for"] = scale_duration(rule["for"], divisor)
    return result


def render_plain(
    sources: tuple[str, ...] | list[str],
    params: ServiceParams | None = None,
    rule_set: str = "full",
    window_divisor: int = 1,
) -> dict[str, Any]:
    """A plain Prometheus rule file (what promtool and a local Prometheus read)."""
    groups = [g for g in load_groups(sources) if rule_set == "full" or g["set"] == "essential"]
    groups = substitute(groups, (params or ServiceParams()).placeholders())
    if window_divisor != 1:
        groups = shorten_windows(groups, window_divisor)
    return {"groups": [{k: v for k, v in g.items() if k != "set"} for g in groups]}


# Helm expressions for each base placeholder in the chart template (variables set in
# the template's header below).
_HELM_VALUES = {
    "namespace": "{{ $namespace }}",
    "service": "{{ $service }}",
    "workload": "{{ $service }}",
    "team": "{{ $monitoring.team }}",
    "availability": "{{ $slo.availability }}",
    "latency_le": "{{ $slo.latencySeconds }}",
    "latency_target": "{{ $slo.latencyTarget }}",
    "runbook_base_url": '{{ $monitoring.runbookBaseUrl | trimSuffix "/" }}',
}

HELM_HEADER = """\
{{- /*
GENERATED from observability/rules/ by `make observability-generate`; do not edit.
Prometheus templates ({{ $value }}, {{ $labels.x }}) are escaped as Helm raw strings.
*/}}
{{- $monitoring := .Values.monitoring }}
{{- if $monitoring.rules.enabled }}
{{- $set := $monitoring.rules.set }}
{{- if not (has $set (list "full" "essential")) }}
{{- fail (printf "monitoring.rules.set=%v: use full or essential" $set) }}
{{- end }}
{{- $slo := $monitoring.slo }}
{{- $namespace := .Release.Namespace }}
{{- $service := include "service.fullname" . }}
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: {{ $service }}
  namespace: {{ $namespace }}
  labels:
    {{- include "service.labels" . | nindent 4 }}
spec:
  groups:
"""


def render_helm_template() -> str:
    """The chart's PrometheusRule: the same sources with Helm expressions for the
    placeholders; groups of the full set wrapped in a condition on monitoring.rules.set."""
    markers = {name: f"@@{name}@@" for name in BASE_FIELDS}
    groups = substitute(load_groups(SERVICE_SOURCES), derive(markers))
    out = [HELM_HEADER]
    for group in groups:
        rule_set = group.pop("set")
        body = dump([group])
        body = _PROM_TEMPLATE.sub(lambda m: "{{`{{" + m.group(1) + "}}`}}", body)
        for name, helm in _HELM_VALUES.items():
            body = body.replace(f"@@{name}@@", helm)
        body = "".join(f"    {line}\n" if line else "\n" for line in body.splitlines())
        if rule_set == "full":
            body = f'{{{{- if eq $set "full" }}}}\n{body}{{{{- end }}}}\n'
        out.append(body)
    out.append("{{- end }}\n")
    return "".join(out)
