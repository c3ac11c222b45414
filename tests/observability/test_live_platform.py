"""The platform's own alerts, live: a real blackbox exporter (Debian's, with the modules
deployed to the cluster) probes a loopback endpoint and a closed port; a real Prometheus
evaluates the platform and service rules (windows divided by 60) and scrapes itself,
Alertmanager and a CloudWatch exporter stand-in; a real Alertmanager with the project's
routing sends PagerDuty notifications to a closed port. Each platform-health alert must
fire and reach the platform pager; the probe alert must fire for the failing endpoint
and stay quiet for the answering one.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from observability.generate import rules
from observability.generate.yamlio import dump
from tests.observability import live_configs
from tests.observability.processes import Process, alertmanager, blackbox_exporter, prometheus
from tests.observability.receiver import Receiver
from tests.support.tools import free_port, require_tool

pytestmark = pytest.mark.slow
SETUP = "scripts/setup/prometheus.sh"
# A rule group that fails on every evaluation: every `up` series relabelled to one label
# set ("vector cannot contain metrics with the same labelset").
BROKEN_GROUP = {
    "groups": [
        {
            "name": "deliberately-broken",
            "rules": [
                {
                    "record": "test:duplicate_labelsets",
                    "expr": 'label_replace(label_replace(up, "job", "x", "", ""), '
                    '"instance", "x", "", "")',
                }
            ],
        }
    ]
}


@dataclass
class PlatformStack:
    receiver: Receiver
    processes: list[Process] = field(default_factory=list)
    prometheus_url: str = ""
    ok_target: str = ""
    dead_target: str = ""

    def query(self, expr: str) -> list[dict[str, Any]]:
        body = httpx.get(
            f"{self.prometheus_url}/api/v1/query", params={"query": expr}, timeout=10
        ).json()
        assert body.get("status") == "success", f"{expr}: {body}"
        return body["data"]["result"]  # type: ignore[no-any-return]

    def firing(self, alertname: str) -> list[dict[str, str]]:
        series = self.query(f'ALERTS{{alertname="{alertname}",alertstate="firing"}}')
        return [s["metric"] for s in series]

    def paged(self, receiver: str, alertname: str) -> list[dict[str, Any]]:
        return [a for a in self.receiver.alerts(receiver) if a["labels"]["alertname"] == alertname]

    def wait(self, what: str, check: Any, timeout: float = 60) -> None:
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.5)
        logs = "\n".join(f"--- {p.name}\n{p.log_tail()}" for p in self.processes)
        raise TimeoutError(f"{what} not seen within {timeout}s\n{logs}")

    def stop(self) -> None:
        for process in self.processes:
            process.stop()
        self.receiver.stop()


# The platform rules are shortened less than the service rules: Alertmanager gives each
# notification attempt at least notify.MinTimeout (10 s, alertmanager v0.25
# notify/notify.go) before it counts a failure, so failures arrive about every 12 s. A
# 5m window divided by 60 (5 s) would hold none of them most of the time and the
# `for` would restart; divided by 20 (15 s) it always holds one.
PLATFORM_WINDOW_DIVISOR = 20


def _rules(out: Path) -> None:
    (out / "platform.rules.yaml").write_text(
        dump(rules.render_plain([rules.PLATFORM_SOURCE], window_divisor=PLATFORM_WINDOW_DIVISOR))
    )
    (out / "service.rules.yaml").write_text(
        dump(rules.render_plain(rules.SERVICE_SOURCES, window_divisor=live_configs.WINDOW_DIVISOR))
    )
    (out / "broken.rules.yaml").write_text(dump(BROKEN_GROUP))


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlatformStack]:
    prometheus_bin = require_tool("prometheus", SETUP)
    am_bin = require_tool("prometheus-alertmanager", SETUP)
    blackbox_bin = require_tool("prometheus-blackbox-exporter", SETUP)
    work = tmp_path_factory.mktemp("platform")
    stack = PlatformStack(receiver=Receiver(free_port()).start())
    try:
        closed = f"127.0.0.1:{free_port()}"  # nothing listens: PagerDuty and a dead endpoint
        stack.ok_target = f"{stack.receiver.url}/openapi.json"
        stack.dead_target = f"http://{closed}/openapi.json"
        bb_port, am_port, prom_port = free_port(), free_port(), free_port()
        stack.processes.append(
            blackbox_exporter(live_configs.BLACKBOX_MODULES, bb_port, work, blackbox_bin)
        )
        am_dir = work / "am"
        am_dir.mkdir()
        am_config = live_configs.alertmanager_config(
            am_dir, stack.receiver.url, pagerduty_base=f"http://{closed}"
        )
        stack.processes.append(alertmanager(am_config, am_port, am_dir / "data", am_bin))
        rules_dir = work / "rules"
        rules_dir.mkdir()
        _rules(rules_dir)
        config = {
            "global": {
                "scrape_interval": "1s",
                "evaluation_interval": "1s",
                "external_labels": live_configs.external_labels(),
            },
            "rule_files": [str(rules_dir / "*.rules.yaml")],
            "alerting": {
                "alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{am_port}"]}]}]
            },
            "scrape_configs": [
                *live_configs.monitoring_jobs(f"127.0.0.1:{prom_port}", f"127.0.0.1:{am_port}"),
                live_configs.cloudwatch_job(f"127.0.0.1:{stack.receiver.port}"),
                live_configs.probe_job(
                    f"127.0.0.1:{bb_port}",
                    [stack.ok_target, stack.dead_target],
                    {"namespace": "depot", "service": "depot"},
                ),
            ],
        }
        prom_dir = work / "prom"
        prom_dir.mkdir()
        (prom_dir / "prometheus.yaml").write_text(dump(config))
        stack.processes.append(
            prometheus(prom_dir / "prometheus.yaml", prom_port, prom_dir / "data", prometheus_bin)
        )
        stack.prometheus_url = f"http://127.0.0.1:{prom_port}"
        yield stack
    finally:
        stack.stop()


def test_blackbox_accepts_the_deployed_modules() -> None:
    binary = require_tool("prometheus-blackbox-exporter", SETUP)
    result = subprocess.run(
        [binary, f"--config.file={live_configs.BLACKBOX_MODULES}", "--config.check"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_probe_alert_fires_for_the_failing_endpoint_only(platform: PlatformStack) -> None:
    platform.wait(
        "ServiceEndpointProbeFailing at depot-pager",
        lambda: bool(platform.paged("depot-pager", "ServiceEndpointProbeFailing")),
    )
    instances = {a["instance"] for a in platform.firing("ServiceEndpointProbeFailing")}
    assert instances == {platform.dead_target}
    success = {
        s["metric"]["instance"]: float(s["value"][1])
        for s in platform.query('probe_success{namespace="depot",service="depot"}')
    }
    assert success == {platform.ok_target: 1.0, platform.dead_target: 0.0}


def test_rule_evaluation_failures_page_the_platform(platform: PlatformStack) -> None:
    platform.wait(
        "PrometheusRuleEvaluationFailures at platform-pager",
        lambda: bool(platform.paged("platform-pager", "PrometheusRuleEvaluationFailures")),
    )
    groups = {a["rule_group"] for a in platform.firing("PrometheusRuleEvaluationFailures")}
    assert groups and all(g.endswith(";deliberately-broken") for g in groups), groups


def test_alertmanager_failing_to_send_pages_through_another_integration(
    platform: PlatformStack,
) -> None:
    """PagerDuty is unreachable (a closed port); the alert about it arrives by webhook."""
    platform.wait(
        "AlertmanagerNotificationsFailing at platform-pager",
        lambda: bool(platform.paged("platform-pager", "AlertmanagerNotificationsFailing")),
        180,
    )
    integrations = {a["integration"] for a in platform.firing("AlertmanagerNotificationsFailing")}
    assert integrations == {"pagerduty"}


def test_exporter_series_absent_pages_once_they_vanish(platform: PlatformStack) -> None:
    platform.wait(
        "ALB series scraped",
        lambda: bool(platform.query("aws_applicationelb_request_count_sum")),
    )
    assert platform.firing("CloudWatchExporterSeriesAbsent") == []
    platform.receiver.cloudwatch_enabled = False
    platform.wait(
        "CloudWatchExporterSeriesAbsent at platform-pager",
        lambda: bool(platform.paged("platform-pager", "CloudWatchExporterSeriesAbsent")),
        120,
    )
    page = platform.paged("platform-pager", "CloudWatchExporterSeriesAbsent")[0]
    assert page["labels"]["environment"] == live_configs.external_labels()["environment"]
