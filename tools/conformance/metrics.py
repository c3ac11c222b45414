"""The metrics contract, derived from the SLO rule source (observability/rules/slo.yaml)
as the chart renders it for the service: every series an SLO rule selects, with every
label the rules match or group on and every label value they select exactly (the
latency threshold bucket). Labels the ServiceMonitor adds (namespace, service) are the
platform's, not the service's."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import httpx

from observability.generate import rules
from observability.generate.params import derive
from tools.conformance.findings import Finding, failed, passed

SLO_SOURCE = "slo.yaml"
CHECK = "metrics"
_SELECTOR = re.compile(r"([a-zA-Z_][a-zA-Z0-9_:]*)\{([^}]*)\}")
_MATCHER = re.compile(r'(\w+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
# `by (labels) (` then at most one function call, then the selector it aggregates.
_GROUPED = re.compile(r"by\s*\(([^)]*)\)\s*\(\s*(?:\w+\s*\(\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\{")
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+\S+")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


@dataclass
class Requirement:
    labels: set[str] = field(default_factory=set)
    values: dict[str, set[str]] = field(default_factory=dict)


def _platform_labels() -> set[str]:
    """The labels of the rules' service selector: the ServiceMonitor adds them."""
    selector = derive({"namespace": "n", "service": "s", "workload": "w"})["selector"]
    return {match.group(1) for match in _MATCHER.finditer(selector)}


def slo_exprs(manifests: list[dict[str, Any]], service: str) -> list[str]:
    """The expressions of the SLO groups in the service's rendered PrometheusRule."""
    names = {str(g["name"]).replace("${service}", service) for g in rules.load_groups([SLO_SOURCE])}
    rule_doc = next(m for m in manifests if m.get("kind") == "PrometheusRule")
    groups = [g for g in rule_doc["spec"]["groups"] if g["name"] in names]
    if {g["name"] for g in groups} != names:
        raise ValueError(f"the rendered PrometheusRule lacks SLO groups {sorted(names)}")
    return [str(r["expr"]) for g in groups for r in g["rules"]]


def worker_requirements(service: str) -> dict[str, Requirement]:
    """A worker serves no requests, so no SLO series; what it must still expose is the
    shared runtime's build identity and drain state (libs/service-runtime, metrics.py)."""
    return {
        f"{service}_build_info": Requirement(labels={"version", "revision"}),
        f"{service}_draining": Requirement(),
    }


def requirements(exprs: list[str]) -> dict[str, Requirement]:
    platform = _platform_labels()
    needed: dict[str, Requirement] = {}
    for expr in exprs:
        for name, matchers in _SELECTOR.findall(expr):
            if ":" in name:  # a recording rule's output, not the service's
                continue
            requirement = needed.setdefault(name, Requirement())
            for label, op, value in _MATCHER.findall(matchers):
                if label in platform:
                    continue
                requirement.labels.add(label)
                if op == "=":
                    requirement.values.setdefault(label, set()).add(value)
        for grouping, name in _GROUPED.findall(expr):
            if name in needed:
                labels = {label.strip() for label in grouping.split(",")} - platform - {""}
                needed[name].labels |= labels
    return needed


def parse_exposition(text: str) -> dict[str, list[dict[str, str]]]:
    series: dict[str, list[dict[str, str]]] = {}
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if line.startswith("#") or not match:
            continue
        series.setdefault(match.group(1), []).append(dict(_LABEL.findall(match.group(2) or "")))
    return series


def check_endpoint(url: str, needed: dict[str, Requirement]) -> list[Finding]:
    """Scrape `url` as Prometheus would, then hold what it answers to `needed`."""
    expected = "200 with the Prometheus text format"
    try:
        response = httpx.get(url, timeout=10.0)
    except httpx.HTTPError as error:
        return [failed(CHECK, "the scrape path did not answer", expected, repr(error))]
    if response.status_code != 200:
        seen = f"{response.status_code} {response.text[:120]!r}"
        return [failed(CHECK, "the scrape path did not answer 200", expected, seen)]
    return check_metrics(response.text, needed)


def check_metrics(text: str, needed: dict[str, Requirement]) -> list[Finding]:
    exposed = parse_exposition(text)
    findings = []
    for name, requirement in sorted(needed.items()):
        samples = exposed.get(name, [])
        if not samples:
            findings.append(
                failed(
                    CHECK,
                    f"{name} is not exposed; the SLO rules in observability/rules/{SLO_SOURCE} "
                    "select it",
                    f"series {name} with labels {sorted(requirement.labels)}",
                    f"no {name} sample among {len(exposed)} metric names",
                )
            )
            continue
        present = set().union(*(s.keys() for s in samples))
        missing = requirement.labels - present
        if missing:
            findings.append(
                failed(
                    CHECK,
                    f"{name} lacks labels the SLO rules match or group on",
                    f"labels {sorted(requirement.labels)}",
                    f"labels {sorted(present)}",
                )
            )
            continue
        for label, values in sorted(requirement.values.items()):
            seen = {s[label] for s in samples if label in s}
            if not values <= seen:
                findings.append(
                    failed(
                        CHECK,
                        f"{name} has no series with {label} in {sorted(values)} that the SLO "
                        "rules select exactly",
                        f"{label} values including {sorted(values)}",
                        f"{label} values {sorted(seen)[:12]}",
                    )
                )
                break
        else:
            findings.append(passed(CHECK, f"{name} exposed with {sorted(requirement.labels)}"))
    return findings
