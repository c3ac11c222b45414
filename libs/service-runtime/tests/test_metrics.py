"""The metrics contract: what the platform's SLO rules and alerts read is what an app
built on the runtime exposes."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client import generate_latest

from service_runtime.metrics import HTTP_BUCKETS, create_metrics

RULES = Path(__file__).resolve().parents[3] / "observability" / "rules"
# The rules' own series (kube-state-metrics, the ALB exporter, Alertmanager, Prometheus)
# and recording rules (`level:metric:operation`) are not the service's.
NOT_THE_SERVICES = re.compile(r"^(kube_|aws_|alertmanager_|prometheus_)|:")
SLO_THRESHOLDS = (0.1, 0.25, 0.3, 0.5)


def _exposed(service: str, calls_a_dependency: bool = True) -> set[str]:
    metrics = create_metrics(service, "1.2.3", "abc", ["dynamodb"])
    metrics.http_requests.labels("GET", "/v1/things", "200").inc()
    metrics.http_duration.labels("GET", "/v1/things", "200").observe(0.2)
    if calls_a_dependency:
        metrics.dependency_requests.labels("dynamodb", "GetItem", "ok").inc()
    text = generate_latest(metrics.registry).decode()
    return {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line[:1] != "#"}


def _rule_text(path: Path) -> str:
    """A rule file without its comments: prose may name a setting (`max_receive_count`)
    that looks like a series but is read by no rule."""
    return "\n".join(
        line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")
    )


def _referenced_by_rules() -> set[str]:
    names: set[str] = set()
    for path in sorted(RULES.glob("*.yaml")):
        for name in re.findall(r"\b([a-z_:]+_(?:total|bucket|count|sum))\b", _rule_text(path)):
            if not NOT_THE_SERVICES.search(name) and not name.startswith("_"):
                names.add(name)
    return names


def test_every_service_series_the_rules_read_is_exposed() -> None:
    referenced = _referenced_by_rules()
    assert {"http_requests_total", "http_request_duration_seconds_bucket"} <= referenced
    assert referenced <= _exposed("depot")


def _name_patterns() -> set[str]:
    """The metric-name patterns the rules select by (`__name__=~"..."`): series every
    service on the runtime names after itself, such as its dependency calls."""
    return {
        pattern
        for path in sorted(RULES.glob("*.yaml"))
        for pattern in re.findall(r'__name__=~"([^"]+)"', _rule_text(path))
    }


def _unmatched(exposed: set[str]) -> set[str]:
    return {p for p in _name_patterns() if not any(re.fullmatch(p, name) for name in exposed)}


def test_another_service_name_prefixes_only_its_own_series() -> None:
    exposed = _exposed("example")
    assert "http_requests_total" in exposed  # the shared HTTP contract is unprefixed
    assert "example_dependency_requests_total" in exposed
    assert "depot_dependency_requests_total" not in exposed
    # The rules read another service as they read depot: every name they cite, and
    # every name pattern, is met by its own series.
    assert _referenced_by_rules() <= exposed
    assert _name_patterns() and _unmatched(exposed) == set()
    # The must-fail side: a service that never reported a dependency call meets no pattern.
    assert _unmatched(_exposed("example", calls_a_dependency=False))


def test_buckets_hold_every_slo_threshold_as_a_non_integer_bound() -> None:
    assert set(SLO_THRESHOLDS) <= set(HTTP_BUCKETS)
    metrics = create_metrics("x", "1", "r", [])
    metrics.http_duration.labels("GET", "/", "200").observe(0.2)
    rendered = generate_latest(metrics.registry).decode()
    for bound in SLO_THRESHOLDS:
        assert f'le="{bound}"' in rendered


def test_build_info_and_backends_start_down() -> None:
    metrics = create_metrics("example", "1.2.3", "abc", ["s3"])
    text = generate_latest(metrics.registry).decode()
    assert re.search(r'example_build_info\{[^}]*revision="abc"[^}]*version="1.2.3"', text)
    assert 'example_dependency_up{backend="s3"} 0.0' in text
