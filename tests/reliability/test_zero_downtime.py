"""Zero-downtime rolling update: replicas behind nginx, steady load, every replica replaced.

The positive case uses the chart's real shutdown timings (preStop, drain, shutdown
timeout, grace, readiness period, read from the chart and depot's values). The negative
control misconfigures the drain (no preStop, drain 0) on the same harness and must
show failed requests: proof that the positive case would notice the problem.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.reliability.balancer import Nginx
from tests.reliability.controller import RollingUpdate, ShutdownTimings, TargetController
from tests.reliability.load import SteadyLoad
from tests.reliability.procs import RecordProperty, Replica, Resources
from tests.reliability.timings import chart_timings

REPLICAS = 3
RATE = 50  # requests/s, mixed reads and writes
WARMUP_SECONDS = 3
# On AWS seconds pass between a pod starting to terminate and the ALB no longer sending
# it new requests; the harness models that lag (the chart's preStop must exceed it).
PROPAGATION_SECONDS = 2.0


def _service_env(resources: Resources, drain: float, shutdown: float) -> dict[str, str]:
    return {
        **resources.env(),
        "DEPOT_DRAIN_SECONDS": str(drain),
        "DEPOT_SHUTDOWN_TIMEOUT_SECONDS": str(shutdown),
        "DEPOT_LOG_LEVEL": "WARNING",
    }


def roll(
    tmp_path: Path,
    nginx_binary: str,
    resources: Resources,
    *,
    pre_stop: float,
    drain: float,
    shutdown: float,
    grace: float,
    readiness_period: float,
) -> tuple[SteadyLoad, dict[str, int | None], list[str]]:
    """Run REPLICAS replicas behind nginx under load, replace them all; return the load
    ledger, the old replicas' exit codes and the writes that were lost."""
    env = _service_env(resources, drain, shutdown)
    old = [Replica(f"old-{i}", env, tmp_path).start() for i in range(REPLICAS)]
    lb = Nginx(tmp_path / "nginx", nginx_binary).start([r.port for r in old])
    controller = TargetController(lb, readiness_period, PROPAGATION_SECONDS, list(old)).start()
    load = SteadyLoad(lb.url, resources.keys["acme"], RATE).start()
    new: list[Replica] = []
    try:
        time.sleep(WARMUP_SECONDS)
        update = RollingUpdate(controller, ShutdownTimings(pre_stop, grace))
        new = update.replace_all(old, lambda i: Replica(f"new-{i}", env, tmp_path))
        time.sleep(WARMUP_SECONDS)
        load.stop()
        lost = load.lost_writes(lb.url)
        return load, update.exits, lost
    finally:
        load.stop()
        controller.stop()
        for replica in old + new:
            replica.stop()
        lb.stop()


@pytest.mark.slow
def test_rolling_update_with_chart_timings_loses_nothing(
    tmp_path: Path,
    nginx_binary: str,
    resources: Resources,
    record_property: RecordProperty,
) -> None:
    timings = chart_timings()
    assert timings.pre_stop_seconds > PROPAGATION_SECONDS, "preStop must cover deregistration"
    load, exits, lost = roll(
        tmp_path, nginx_binary, resources,
        pre_stop=timings.pre_stop_seconds,
        drain=timings.drain_seconds,
        shutdown=timings.shutdown_timeout_seconds,
        grace=timings.grace_seconds,
        readiness_period=timings.readiness_period_seconds,
    )  # fmt: skip
    summary = load.summary()
    print(f"rolling update with chart timings: {summary}")
    record_property("rollout_requests", summary["requests"])
    record_property("rollout_failed_requests", summary["failed"])
    record_property("rollout_acknowledged_writes", summary["acknowledged_writes"])
    assert summary["requests"] >= RATE * 20, f"too little load to prove anything: {summary}"
    assert load.failures() == [], f"failed requests during the rollout: {summary}"
    assert lost == [], f"acknowledged writes not readable afterwards: {lost[:10]}"
    assert exits and all(code == 0 for code in exits.values()), f"old replicas' exits: {exits}"


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
    load, _, _ = roll(
        tmp_path, nginx_binary, resources,
        pre_stop=0, drain=0, shutdown=timings.shutdown_timeout_seconds,
        grace=timings.grace_seconds,
        readiness_period=timings.readiness_period_seconds,
    )  # fmt: skip
    summary = load.summary()
    print(f"negative control (drain 0, no preStop): {summary}")
    record_property("negative_control_failed_requests", summary["failed"])
    assert len(load.failures()) > 0, f"a broken drain went unnoticed: {summary}"
