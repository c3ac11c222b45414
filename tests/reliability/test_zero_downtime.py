"""Zero-downtime rolling update: replicas behind nginx, steady load, every replica replaced.

The positive case uses the chart's real shutdown timings (preStop, drain, shutdown
timeout, grace, readiness period, read from the chart and depot's values). The negative
control misconfigures the drain (no preStop, drain 0) on the same harness and must
show failed requests: proof that the positive case would notice the problem.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.procs import RecordProperty, Resources
from tests.reliability.rollout import PROPAGATION_SECONDS, RolloutPlan, run_rollout
from tests.reliability.timings import chart_timings

REPLICAS = 3
RATE = 50  # requests/s, mixed reads and writes


@pytest.mark.slow
def test_rolling_update_with_chart_timings_loses_nothing(
    tmp_path: Path,
    nginx_binary: str,
    resources: Resources,
    record_property: RecordProperty,
) -> None:
    timings = chart_timings()
    assert timings.pre_stop_seconds > PROPAGATION_SECONDS, "preStop must cover deregistration"
    plan = RolloutPlan(
        replicas=REPLICAS,
        rate=RATE,
        pre_stop=timings.pre_stop_seconds,
        drain=timings.drain_seconds,
        shutdown=timings.shutdown_timeout_seconds,
        grace=timings.grace_seconds,
        readiness_period=timings.readiness_period_seconds,
    )
    result = run_rollout(tmp_path, nginx_binary, resources, plan)
    summary = result.load.summary()
    print(f"rolling update with chart timings: {summary}")
    record_property("rollout_requests", summary["requests"])
    record_property("rollout_failed_requests", summary["failed"])
    record_property("rollout_acknowledged_writes", summary["acknowledged_writes"])
    assert summary["requests"] >= RATE * 20, f"too little load to prove anything: {summary}"
    assert result.load.failures() == [], f"failed requests during the rollout: {summary}"
    assert result.lost == [], f"acknowledged writes not readable afterwards: {result.lost[:10]}"
    exits = result.exits
    assert len(exits) == REPLICAS and all(code == 0 for code in exits.values()), exits


@pytest.mark.slow
def test_negative_control_misconfigured_drain_fails_requests(
    tmp_path: Path,
    nginx_binary: str,
    resources: Resources,
    record_property: RecordProperty,
) -> None:
    """NEGATIVE CONTROL: no preStop and drain 0, so each old replica closes its listener
    while the balancer still routes to it. The harness must see failed requests."""
    timings = chart_timings()
    plan = RolloutPlan(
        replicas=REPLICAS,
        rate=RATE,
        pre_stop=0,
        drain=0,
        shutdown=timings.shutdown_timeout_seconds,
        grace=timings.grace_seconds,
        readiness_period=timings.readiness_period_seconds,
    )
    summary = run_rollout(tmp_path, nginx_binary, resources, plan).load.summary()
    print(f"negative control (drain 0, no preStop): {summary}")
    record_property("negative_control_failed_requests", summary["failed"])
    assert summary["failed"] > 0, f"a broken drain went unnoticed: {summary}"
