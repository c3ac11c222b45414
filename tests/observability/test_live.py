"""The live test: two depot instances, a real Prometheus scraping them with the project's
scrape config and rules, a real Alertmanager with the project's routing, a webhook
receiver in the test. The emulator goes away, the service answers 503, and the fast-burn
page must reach the pager webhook; then every recording rule and dashboard query must
return data, and the metric and log contracts are checked against the real service.

The rules here are the source rendered with windows and `for` divided by 60
(tests/observability/live_configs.py): thresholds and expressions are the real ones, an
hour of burn takes a minute.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from observability.generate import rules
from tests.observability import live_configs
from tests.observability.live_stack import Stack, run_outage_scenario, start_stack, wait_for
from tests.observability.promql import all_dashboard_queries, metric_names, substitute_variables
from tests.observability.runbooks import (
    alert_runbooks,
    logql_problems,
    substitute,
    vector_selectors,
)
from tests.support.tools import ROOT, prerequisite_missing, require_tool

pytestmark = pytest.mark.slow
SETUP = "scripts/setup/prometheus.sh"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not (ROOT / "services" / "depot" / ".venv" / "bin" / "python").exists():
        message = "services/depot/.venv missing; scripts/setup/python.sh creates it"
        prerequisite_missing(message)
    live = start_stack(
        tmp_path_factory.mktemp("live"),
        require_tool("prometheus", SETUP),
        require_tool("prometheus-alertmanager", SETUP),
        require_tool("prometheus-blackbox-exporter", SETUP),
    )
    try:
        run_outage_scenario(live)
        yield live
    finally:
        live.stop()


def _delivered(stack: Stack, receiver: str, alertname: str) -> list[dict[str, Any]]:
    assert stack.receiver is not None
    return [a for a in stack.receiver.alerts(receiver) if a["labels"]["alertname"] == alertname]


# --- alerting --------------------------------------------------------------------------


def test_fast_burn_page_reaches_the_pager_webhook(
    stack: Stack, record_property: Callable[[str, object], None]
) -> None:
    record_property("outage_to_page_seconds", round(stack.outage_to_page_seconds, 1))
    pages = _delivered(stack, "depot-pager", "ServiceAvailabilityFastBurn")
    assert pages
    alert = pages[0]
    assert alert["status"] == "firing"
    assert (
        alert["labels"] | {"severity": "page", "team": "depot", "slo": "availability"}
        == alert["labels"]
    )
    assert alert["labels"]["namespace"] == "depot" and alert["labels"]["service"] == "depot"
    assert alert["annotations"]["runbook_url"].endswith("/service-availability-burn.md")
    assert "% of requests to depot" in alert["annotations"]["description"]


def test_the_page_names_environment_and_cluster(stack: Stack) -> None:
    """External labels reach the page, and the real PagerDuty config renders a summary
    that names them (the Events API v2 body Alertmanager sent)."""
    labels = live_configs.external_labels()
    page = _delivered(stack, "depot-pager", "ServiceAvailabilityFastBurn")[0]
    assert {k: page["labels"][k] for k in labels} == labels
    assert f"cluster {labels['cluster']}" in page["annotations"]["description"]
    assert "error budget lasts" in page["annotations"]["description"]
    events = [
        e
        for e in stack.receiver.pagerduty_events("depot-pager")  # type: ignore[union-attr]
        if "ServiceAvailabilityFastBurn" in e["payload"]["summary"]
    ]
    assert events, "no PagerDuty event for the fast burn"
    prefix = f"[{labels['environment']}/{labels['cluster']}] ServiceAvailabilityFastBurn depot:"
    assert events[0]["payload"]["summary"].startswith(prefix), events[0]["payload"]["summary"]


def test_dependency_ticket_names_the_backend_and_is_inhibited_by_the_burn_page(
    stack: Stack,
) -> None:
    """The outcome values the rule counts as failures are the ones the service emits when
    its backend is unreachable; the ticket (a cause) is held back while the burn pages."""

    def dependency_alerts() -> list[dict[str, Any]]:
        return [
            a for a in stack.am_alerts() if a["labels"]["alertname"] == "ServiceDependencyErrors"
        ]

    wait_for(
        "ServiceDependencyErrors in Alertmanager", lambda: bool(dependency_alerts()), 60, stack
    )
    alerts = dependency_alerts()
    assert {a["labels"]["backend"] for a in alerts} & {"dynamodb", "s3"}, alerts
    assert all(a["labels"]["severity"] == "ticket" for a in alerts)
    assert all(a["status"]["inhibitedBy"] for a in alerts), alerts
    assert not _delivered(stack, "depot-tickets", "ServiceDependencyErrors")
    assert not _delivered(stack, "depot-pager", "ServiceDependencyErrors")


def test_two_backends_failing_together_give_two_non_empty_pagerduty_summaries(
    stack: Stack,
) -> None:
    """Alerts of one name with different summaries: with `backend` in group_by each
    backend is its own PagerDuty incident, and the summary is never empty."""
    stack.post_alerts(
        [
            _alert(
                "StorageBackendDown",
                summary=f"{backend} is failing",
                severity="page",
                team="depot",
                namespace="depot",
                service="depot",
                backend=backend,
            )
            for backend in ("dynamodb", "s3")
        ]
    )
    assert stack.receiver is not None
    receiver = stack.receiver

    def summaries() -> list[str]:
        return [
            e["payload"]["summary"]
            for e in receiver.pagerduty_events("depot-pager")
            if "StorageBackendDown" in e["payload"]["summary"]
        ]

    wait_for("two PagerDuty events", lambda: len(summaries()) >= 2, 30, stack)
    for backend in ("dynamodb", "s3"):
        assert any(f"({backend}): {backend} is failing" in s for s in summaries()), summaries()


def test_the_outage_really_was_served_as_503(stack: Stack) -> None:
    assert stack.traffic is not None
    assert stack.traffic.statuses[201] > 0 and stack.traffic.statuses[503] > 0


def test_slow_burn_ticket_is_inhibited_by_the_page(stack: Stack) -> None:
    slow = [
        a for a in stack.am_alerts() if a["labels"]["alertname"] == "ServiceAvailabilitySlowBurn"
    ]
    assert slow and all(a["status"]["inhibitedBy"] for a in slow), slow
    assert not _delivered(stack, "depot-tickets", "ServiceAvailabilitySlowBurn")


def test_watchdog_reaches_only_its_clusters_heartbeat(stack: Stack) -> None:
    assert stack.receiver is not None
    receivers = {
        a["receiver"] for a in stack.receiver.alerts() if a["labels"]["alertname"] == "Watchdog"
    }
    assert receivers == {f"heartbeat-{live_configs.external_labels()['cluster']}"}


def _alert(name: str, summary: str = "", **labels: str) -> dict[str, Any]:
    """An alert as the prod Prometheus would send it (its external labels included)."""
    now = datetime.now(UTC)
    return {
        "labels": {"alertname": name, **live_configs.external_labels(), **labels},
        "annotations": {"summary": summary or name},
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(minutes=5)).isoformat(),
    }


def test_a_ticket_without_its_page_is_delivered(stack: Stack) -> None:
    stack.post_alerts(
        [
            _alert(
                "ServiceErrorBudgetLow",
                severity="ticket",
                team="depot",
                namespace="shop",
                service="cart",
                slo="availability",
            )
        ]
    )
    wait_for(
        "an uninhibited ticket at depot-tickets",
        lambda: bool(_delivered(stack, "depot-tickets", "ServiceErrorBudgetLow")),
        30,
        stack,
    )


def test_a_cluster_outage_inhibits_scrape_symptoms_but_no_slo_page(stack: Stack) -> None:
    """The cluster-wide page holds back the per-service "cannot scrape" pages of its own
    cluster, never another team's SLO page, another cluster's pages or the Watchdog."""
    stack.post_alerts(
        [
            _alert(
                "ClusterWideTargetsDown",
                severity="page",
                team="platform",
                service="cluster",
                scope="cluster",
            ),
            _alert("ServiceTargetsDown", severity="page", team="shop", namespace="shop",
                   service="basket"),
            _alert("ServiceAvailabilityFastBurn", severity="page", team="shop", namespace="shop",
                   service="basket", slo="availability"),
            _alert("ServiceTargetsDown", severity="page", team="shop", namespace="shop",
                   service="till", cluster="depot-other"),
        ]
    )  # fmt: skip

    def states() -> dict[str, bool]:
        return {
            "/".join(
                (a["labels"]["alertname"], a["labels"].get("service", ""), a["labels"]["cluster"])
            ): bool(a["status"]["inhibitedBy"])
            for a in stack.am_alerts()
        }

    cluster = live_configs.external_labels()["cluster"]
    wait_for(
        "the per-service page inhibited",
        lambda: states().get(f"ServiceTargetsDown/basket/{cluster}") is True,
        30,
        stack,
    )
    current = states()
    assert current[f"ClusterWideTargetsDown/cluster/{cluster}"] is False
    assert current[f"ServiceAvailabilityFastBurn/basket/{cluster}"] is False
    assert current["ServiceTargetsDown/till/depot-other"] is False
    assert current[f"Watchdog/monitoring/{cluster}"] is False


# --- every recording rule and dashboard query returns data ------------------------------


def _recorded_names() -> list[str]:
    doc = rules.render_plain(rules.SERVICE_SOURCES)
    return [r["record"] for g in doc["groups"] for r in g["rules"] if "record" in r]


@pytest.mark.parametrize("record", _recorded_names())
def test_recording_rule_returns_data(stack: Stack, record: str) -> None:
    result = stack.query(f'{record}{{namespace="depot",service="depot"}}')
    assert result, f"{record} has no series"


_QUERIES = all_dashboard_queries()


@pytest.mark.parametrize(
    "index", range(len(_QUERIES)), ids=[f"{u}/{p.title}/{q.legend}" for u, p, q in _QUERIES]
)
def test_dashboard_query_returns_data(stack: Stack, index: int) -> None:
    _, panel, query = _QUERIES[index]
    result = stack.query(substitute_variables(query.expr))
    assert result, f"{panel.title}: no data for {query.expr}"


def test_dashboard_variables_offer_the_service(stack: Stack) -> None:
    namespaces = {s["metric"]["namespace"] for s in stack.query('up{service!=""}')}
    services = {s["metric"]["service"] for s in stack.query('up{namespace="depot"}')}
    assert "depot" in namespaces and "depot" in services


def test_alb_metrics_get_the_service_labels_from_the_alb_tags(stack: Stack) -> None:
    """The exporter's relabelling (observability/exporters/alb-relabel.yaml) gives ALB
    metrics the labels the load-balancer alerts select on."""
    for metric in (
        "aws_applicationelb_healthy_host_count_minimum",
        "aws_applicationelb_httpcode_elb_5_xx_count_sum",
        "aws_applicationelb_request_count_sum",
    ):
        series = stack.query(f'{metric}{{namespace="depot",service="depot"}}')
        assert series and "tag_service" not in series[0]["metric"], metric
    # The alerts' own expressions, on a healthy ALB: quiet (they fire in the promtool tests).
    for rule in _alerts("ServiceLoadBalancerNoHealthyTargets", "ServiceLoadBalancer5xx"):
        assert stack.query(rule["expr"]) == [], rule["alert"]


def _alerts(*names: str) -> list[dict[str, Any]]:
    doc = rules.render_plain(rules.SERVICE_SOURCES)
    return [r for g in doc["groups"] for r in g["rules"] if r.get("alert") in names]


# --- autoscaling signal -----------------------------------------------------------------


def test_autoscaling_query_is_the_sum_of_per_pod_rates(stack: Stack) -> None:
    from tests.chart.rendering import helm_template, one, own_combo

    helm = require_tool("helm", "scripts/setup/helm.sh")
    scaled = one(helm_template(helm, own_combo("prod").helm_args()), "ScaledObject")
    trigger = next(t for t in scaled["spec"]["triggers"] if t["type"] == "prometheus")
    query = trigger["metadata"]["query"]
    at = time.time()
    total = stack.query(query, at=at)
    per_pod = stack.query(
        # The SLI's traffic: the autoscaler, like the SLO rules, leaves out probes and scrapes.
        'sum by (instance) (rate(http_requests_total{namespace="depot",service="depot",'
        'route!~"/livez|/readyz|/metrics"}[2m]))',
        at=at,
    )
    assert len(total) == 1 and len(per_pod) == 2
    assert all(float(s["value"][1]) > 0 for s in per_pod)
    assert float(total[0]["value"][1]) == pytest.approx(sum(float(s["value"][1]) for s in per_pod))


# --- metric and log contracts against the real service ----------------------------------

# Metrics from elsewhere: Prometheus itself, kube-state-metrics, cAdvisor, the CloudWatch
# exporter; recording rules (with a colon) are checked above.
_FOREIGN = re.compile(r"^(up|kube_.*|container_.*|aws_.*|probe_.*|.*:.*)$")


def _exported(metrics_text: str) -> set[str]:
    return {
        re.split(r"[{\s]", line, maxsplit=1)[0]
        for line in metrics_text.splitlines()
        if line and not line.startswith("#")
    }


def test_rules_and_dashboards_use_only_metrics_the_service_exports(stack: Stack) -> None:
    exprs = [
        r["expr"] for g in rules.render_plain(rules.SERVICE_SOURCES)["groups"] for r in g["rules"]
    ]
    exprs += [q.expr for _, _, q in _QUERIES]
    used = {name for expr in exprs for name in metric_names(expr) if not _FOREIGN.match(name)}
    assert used, "no service metric found in the rules: the extraction is broken"
    assert used - _exported(stack.metrics_text) == set()


def _log_records(stack: Stack) -> list[dict[str, Any]]:
    lines = [line for line in stack.depot_logs() if line.strip()]
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"a log line is not JSON, the pipeline cannot parse it: {line[:200]}")
    return records


REQUEST_FIELDS = {"timestamp", "level", "event", "logger", "request_id", "trace_id", "method",
                  "route", "status", "duration_ms"}  # fmt: skip


def test_every_log_line_is_json_with_the_base_fields(stack: Stack) -> None:
    records = _log_records(stack)
    assert records
    for record in records:
        assert {"timestamp", "level", "event", "logger"} <= record.keys(), record
        datetime.fromisoformat(record["timestamp"].replace("Z", "+00:00"))
        assert record["level"] in {"debug", "info", "warning", "error", "critical"}


def test_request_log_lines_carry_the_fields_the_pipeline_uses(stack: Stack) -> None:
    requests = [r for r in _log_records(stack) if r.get("logger") == "depot.access"]
    assert requests and all(r.keys() >= REQUEST_FIELDS for r in requests)
    assert {r["status"] for r in requests} >= {201, 503}


def test_logs_never_carry_the_api_key(stack: Stack) -> None:
    text = "\n".join(stack.depot_logs())
    assert stack.api_key not in text
    assert stack.api_key.split("_", 1)[-1] not in text
    assert not re.search(r"(?i)bearer\s+dpt_", text)


def _books_and_queries(language: str) -> list[tuple[str, str]]:
    return [(b.path.name, q) for b in alert_runbooks() for q in b.blocks(language)]


_PROMQL = _books_and_queries("promql")
_LOGQL = _books_and_queries("logql")


def _ids(pairs: list[tuple[str, str]]) -> list[str]:
    return [f"{book}:{i}" for i, (book, _) in enumerate(pairs)]


@pytest.mark.parametrize(("book", "query"), _PROMQL, ids=_ids(_PROMQL))
def test_runbook_promql_runs_and_every_selector_matches_series(
    stack: Stack, book: str, query: str
) -> None:
    """A first check that returns nothing in a healthy stack would mislead at 3 a.m.:
    every selector of every runbook query must match live series (the service's, the
    exporters', Prometheus' and Alertmanager's own)."""
    expr = substitute(query)
    stack.query(expr)  # parses and runs
    for selector in vector_selectors(expr):
        response = httpx.get(
            f"{stack.prometheus_url}/api/v1/series", params={"match[]": selector}, timeout=10
        ).json()
        assert response["status"] == "success" and response["data"], f"{book}: {selector}"


@pytest.mark.parametrize(("book", "query"), _LOGQL, ids=_ids(_LOGQL))
def test_runbook_logql_can_match_the_service_logs(stack: Stack, book: str, query: str) -> None:
    """Evaluated against the service's real log lines with the labels the pipeline sets
    (observability/logging/config.alloy): a filter that no line can pass (5xx access
    lines filtered on level="error", `| logfmt` on JSON) fails."""
    labels = {"namespace": "depot", "service": "depot"}
    assert logql_problems(query, _log_records(stack), labels) == "", f"{book}: {query}"


def test_an_impossible_logql_query_is_caught(stack: Stack) -> None:
    """The check above can fail: access lines are logged at info, whatever the status."""
    records = _log_records(stack)
    labels = {"namespace": "depot", "service": "depot"}
    bad = '{namespace="$namespace", service="$service", level="error"} | json | status >= 500'
    assert logql_problems(bad, records, labels)
    assert logql_problems('{namespace="$namespace"} | logfmt | level="error"', records, labels)


def test_alloy_keeps_only_low_cardinality_labels(stack: Stack) -> None:
    config = (ROOT / "observability" / "logging" / "config.alloy").read_text()
    stage_labels = re.search(r"stage\.labels\s*\{\s*values\s*=\s*\{([^}]*)\}", config)
    assert stage_labels and re.findall(r"(\w+)\s*=", stage_labels.group(1)) == ["level"]
    targets = set(re.findall(r'target_label\s*=\s*"(\w+)"', config))
    dropped = re.search(r"stage\.label_drop\s*\{\s*values\s*=\s*\[([^\]]*)\]", config)
    assert dropped
    kept = targets - set(re.findall(r'"(\w+)"', dropped.group(1)))
    assert kept == {"namespace", "service"}
    # Every field the pipeline extracts exists in the service's real lines.
    json_stage = re.search(r"stage\.json\s*\{\s*expressions\s*=\s*\{([^}]*)\}", config)
    assert json_stage
    extracted = set(re.findall(r'=\s*"(\w+)"', json_stage.group(1)))
    present = {k for record in _log_records(stack) for k in record}
    assert extracted - present == set()


def test_live_stack_left_no_stale_paths(tmp_path: Path) -> None:
    """Sanity of the helpers: the scenario's config derives from the project's files."""
    from tests.observability import live_configs

    path = live_configs.alertmanager_config(tmp_path, "http://127.0.0.1:9")
    text = path.read_text()
    assert "credentials_file" not in text and "http://127.0.0.1:9/depot-pager" in text
