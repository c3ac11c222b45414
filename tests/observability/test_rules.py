"""The alert and recording rules: valid, unit-tested, documented, rendered from one source."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from observability.generate import __main__ as generate
from observability.generate import rules
from observability.generate.params import DEFAULT_RUNBOOK_BASE_URL, ParamsError, ServiceParams
from tests.observability.rule_facts import (
    RUNBOOK_DIR,
    all_alerts,
    unit_test_files,
    unit_tested,
)
from tests.support.tools import ROOT

RULE_FILES = ["service.rules.yaml", "service-essential.rules.yaml", "platform.rules.yaml"]


@pytest.mark.parametrize("name", RULE_FILES)
def test_promtool_accepts_rendered_rules(promtool: str, rendered_rules: Path, name: str) -> None:
    result = subprocess.run(
        [promtool, "check", "rules", str(rendered_rules / name)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rejects_a_broken_rule(promtool: str, tmp_path: Path) -> None:
    """The check above can fail: a syntax error is reported."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("groups: [{name: g, rules: [{alert: A, expr: 'sum(rate(x[5m])'}]}]\n")
    result = subprocess.run([promtool, "check", "rules", str(bad)], capture_output=True)
    assert result.returncode != 0


def _with_group_order(test_file: Path, rules_dir: Path) -> str:
    """The test file with `group_eval_order` set to the groups' order in its rule files.
    Without it promtool evaluates the groups of a step in random order (an unstable sort
    over a map), so an alert may read the recording rules of the previous minute and a
    case expecting `$value` fails one run in a few. Records first is also what a real
    Prometheus converges to within one evaluation interval."""
    doc = yaml.safe_load(test_file.read_text())
    if "group_eval_order" not in doc:
        doc["group_eval_order"] = [
            group["name"]
            for name in doc["rule_files"]
            for group in yaml.safe_load((rules_dir / name).read_text())["groups"]
        ]
    return yaml.safe_dump(doc, sort_keys=False)


@pytest.mark.parametrize("test_file", unit_test_files(), ids=lambda p: p.name)
def test_promtool_unit_tests_pass(
    promtool: str, rendered_rules: Path, tmp_path: Path, test_file: Path
) -> None:
    for name in RULE_FILES:
        shutil.copy(rendered_rules / name, tmp_path / name)
    (tmp_path / test_file.name).write_text(_with_group_order(test_file, rendered_rules))
    result = subprocess.run(
        [promtool, "test", "rules", test_file.name], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


SECOND_SERVICE = ServiceParams(
    namespace="verifier", service="verifier", workload="verifier", team="verifier"
)


def _dependency_series(service: str, outcome: str, per_minute: int) -> dict[str, str]:
    labels = (
        f'namespace="{service}",service="{service}",instance="a",backend="sqs",'
        f'operation="ReceiveMessage",outcome="{outcome}"'
    )
    return {
        "series": f"{service}_dependency_requests_total{{{labels}}}",
        "values": f"0+{per_minute}x20",
    }


def test_a_second_services_failing_dependency_raises_its_own_ticket(
    promtool: str, tmp_path: Path
) -> None:
    """Services on the shared runtime name the dependency metric after themselves
    (ADR 0090): the rule rendered for `verifier` fires on `verifier_dependency_...`
    failing 10%, and not on depot's series, however badly those fail."""
    rendered = rules.render_plain(rules.SERVICE_SOURCES, SECOND_SERVICE)
    (tmp_path / "verifier.rules.yaml").write_text(yaml.safe_dump(rendered))
    firing = [
        _dependency_series("verifier", "ok", 90),
        _dependency_series("verifier", "timeout", 10),
    ]
    others_only = [
        _dependency_series("verifier", "ok", 100),
        _dependency_series("depot", "ok", 10),
        _dependency_series("depot", "server_error", 90),
    ]
    description = (
        "10% of the calls from verifier in verifier to sqs end in a server error, throttle, "
        "timeout, unreachable endpoint, refused credentials or denied access."
    )
    expected = {
        "exp_labels": {
            "severity": "ticket",
            "team": "verifier",
            "service": "verifier",
            "namespace": "verifier",
            "backend": "sqs",
        },
        "exp_annotations": {
            "summary": "verifier calls to sqs are failing",
            "description": description,
            "runbook_url": f"{DEFAULT_RUNBOOK_BASE_URL}/service-dependency-errors.md",
        },
    }

    def case(series: list[dict[str, str]], alerts: list[dict[str, object]]) -> dict[str, object]:
        return {
            "interval": "1m",
            "input_series": series,
            "alert_rule_test": [
                {"eval_time": "15m", "alertname": "ServiceDependencyErrors", "exp_alerts": alerts}
            ],
        }

    test = {
        "rule_files": ["verifier.rules.yaml"],
        "evaluation_interval": "1m",
        "group_eval_order": [g["name"] for g in rendered["groups"]],
        "tests": [case(firing, [expected]), case(others_only, [])],
    }
    (tmp_path / "second.test.yaml").write_text(yaml.safe_dump(test, sort_keys=False))
    result = subprocess.run(
        [promtool, "test", "rules", "second.test.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_firing_and_a_silent_unit_test() -> None:
    names = {rule["alert"] for rule in all_alerts()}
    assert names - unit_tested(expect_firing=True) == set(), "alerts never shown to fire"
    # The Watchdog always fires by design; its silence is the heartbeat service's signal.
    assert names - unit_tested(expect_firing=False) == {"Watchdog"}, "alerts never shown quiet"


@pytest.mark.parametrize(
    "rule", all_alerts(), ids=lambda r: f"{r['alert']}-{r['labels'].get('slo', '')}"
)
def test_alert_carries_routing_labels_and_a_runbook(rule: dict[str, object]) -> None:
    labels = rule["labels"]
    annotations = rule["annotations"]
    assert isinstance(labels, dict) and isinstance(annotations, dict)
    assert labels["severity"] in {"page", "ticket", "heartbeat"}
    assert labels["team"] and labels["service"]
    assert annotations["summary"] and annotations["description"]
    if rule["alert"] != "Watchdog":
        assert "$value" in annotations["description"], "the description shows the current value"
    url = str(annotations["runbook_url"])
    assert url.startswith(DEFAULT_RUNBOOK_BASE_URL + "/")
    runbook = RUNBOOK_DIR / url.removeprefix(DEFAULT_RUNBOOK_BASE_URL + "/")
    assert runbook.is_file(), f"{rule['alert']}: runbook {runbook.name} missing in docs/runbooks/"


def _alert_names(rule_set: str) -> set[str]:
    doc = rules.render_plain(rules.SERVICE_SOURCES, rule_set=rule_set)
    return {r["alert"] for g in doc["groups"] for r in g["rules"] if "alert" in r}


def test_essential_set_is_the_slo_and_reachability_subset() -> None:
    essential, full = _alert_names("essential"), _alert_names("full")
    assert essential < full
    assert {
        "ServiceAvailabilityFastBurn",
        "ServiceTargetsDown",
        "ServiceTargetsAbsent",
        # Outages the service's own metrics cannot see page in the essential set too.
        "ServiceTrafficStopped",
        "ServiceEndpointProbeFailing",
        "ServiceLoadBalancerNoHealthyTargets",
        "ServiceLoadBalancer5xx",
    } <= essential
    assert "ServicePodCrashLooping" not in essential


def documented_essential_omissions(text: str) -> set[str]:
    """The alerts docs/deployment-models.md says the essential set leaves out."""
    row = next(line for line in text.splitlines() if line.startswith("| monitoring |"))
    _, _, omitted = row.rpartition("; not ")
    return set(re.findall(r"`(\w+)`", omitted))


def test_deployment_models_names_what_the_essential_set_leaves_out() -> None:
    text = (ROOT / "docs" / "deployment-models.md").read_text()
    assert documented_essential_omissions(text) == _alert_names("full") - _alert_names("essential")


def test_a_wrong_essential_description_is_noticed() -> None:
    row = "| monitoring | x | y; not `ServiceLatencyFastBurn`, `ServicePodCrashLooping` |"
    assert documented_essential_omissions(row) != _alert_names("full") - _alert_names("essential")


def test_long_ticket_windows_read_recorded_rates_not_raw_counters() -> None:
    doc = rules.render_plain(rules.SERVICE_SOURCES)
    records = {r["record"]: r["expr"] for g in doc["groups"] for r in g["rules"] if "record" in r}
    for sli in ("availability_errors", "latency_slow"):
        for window in ("1d", "3d"):
            expr = records[f"service:slo_{sli}:ratio_rate{window}"]
            assert "sum_over_time(service:slo_" in expr and "_total" not in expr, expr


def test_shortened_windows_keep_names_and_thresholds() -> None:
    real = rules.render_plain(rules.SERVICE_SOURCES)
    short = rules.render_plain(rules.SERVICE_SOURCES, window_divisor=60)
    real_rules = [r for g in real["groups"] for r in g["rules"]]
    short_rules = [r for g in short["groups"] for r in g["rules"]]
    assert [r.get("alert", r.get("record")) for r in real_rules] == [
        r.get("alert", r.get("record")) for r in short_rules
    ]
    burn = next(r for r in short_rules if r.get("alert") == "ServiceAvailabilityFastBurn")
    assert "ratio_rate1h" in burn["expr"] and "14.4" in burn["expr"] and burn["for"] == "2s"
    record = next(
        r for r in short_rules if r.get("record") == "service:slo_availability_errors:ratio_rate1h"
    )
    assert "[60s]" in record["expr"]


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("monitoring.slo.latencySeconds", {"latency_le": "1"}),
        ("monitoring.slo.availability", {"availability": "100"}),
        ("monitoring.slo.latencyTarget", {"latency_target": "ninety"}),
        ("monitoring.runbookBaseUrl", {"runbook_base_url": "http://wiki"}),
    ],
)
def test_bad_parameters_are_named(field: str, kwargs: dict[str, str]) -> None:
    with pytest.raises(ParamsError, match=field.replace(".", r"\.")):
        ServiceParams(**kwargs)


def test_unknown_placeholder_is_named() -> None:
    with pytest.raises(rules.SourceError, match=r"\$\{nope\}"):
        rules.substitute("x{${nope}}", {"service": "depot"})


def test_generated_files_are_fresh() -> None:
    stale = [str(p.relative_to(generate.ROOT)) for p in generate.stale()]
    assert stale == [], "stale generated files; run `make observability-generate`"
