"""The CloudWatch exporter's deployed configuration gives the ALB alerts what they read:
one dimension set per job (ADR 0043/0044) and a CloudWatch polling interval short
enough to page within minutes."""

from __future__ import annotations

from typing import Any

import yaml

from tests.observability.rule_facts import all_alerts
from tests.support.tools import ROOT

VALUES = ROOT / "gitops" / "platform" / "addons" / "values" / "cloudwatch-exporter.yaml"
# YACE's metric names: aws_<namespace>_<metric in snake case>_<statistic>.
ALERT_METRICS = {
    "aws_applicationelb_healthy_host_count_minimum": ("HealthyHostCount", "Minimum"),
    "aws_applicationelb_httpcode_elb_5_xx_count_sum": ("HTTPCode_ELB_5XX_Count", "Sum"),
    "aws_applicationelb_request_count_sum": ("RequestCount", "Sum"),
}


def _values() -> dict[str, Any]:
    return yaml.safe_load(VALUES.read_text())  # type: ignore[no-any-return]


def _jobs() -> list[dict[str, Any]]:
    return yaml.safe_load(_values()["config"])["discovery"]["jobs"]  # type: ignore[no-any-return]


def test_exporter_polls_cloudwatch_every_minute() -> None:
    """YACE's default --scraping-interval is 300 s: an ALB outage paged ~10 minutes late."""
    assert int(_values()["extraArgs"]["scraping-interval"]) <= 60
    assert all(job["period"] == 60 for job in _jobs())


def test_every_job_asks_for_exactly_one_dimension_set() -> None:
    for job in _jobs():
        assert job.get("dimensionNameRequirements"), job
        assert "AvailabilityZone" not in job["dimensionNameRequirements"]


def test_each_alert_metric_comes_from_the_dimension_set_its_rule_selects() -> None:
    """A rule selecting dimension_TargetGroup!="" must read a job that requires
    TargetGroup; one selecting dimension_TargetGroup="" a job that does not."""
    exprs = " ".join(r["expr"] for r in all_alerts() if r["alert"].startswith("ServiceLoadBal"))
    for metric, (name, statistic) in ALERT_METRICS.items():
        assert metric in exprs, metric
        job = next(
            j
            for j in _jobs()
            if any(m["name"] == name and statistic in m["statistics"] for m in j["metrics"])
        )
        per_target_group = "TargetGroup" in job["dimensionNameRequirements"]
        selected = f'{metric}{{namespace="depot",service="depot",dimension_TargetGroup'
        assert selected + ('!=""' if per_target_group else '=""') in exprs, metric
