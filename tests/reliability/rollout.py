"""One rolling update under steady load, end to end: replicas, balancer, controller, load.

Shared by the short test (`test_zero_downtime.py`) and the long run of `make bench`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from tests.reliability.balancer import Nginx
from tests.reliability.controller import RollingUpdate, ShutdownTimings, TargetController
from tests.reliability.load import SteadyLoad
from tests.reliability.procs import Replica, Resources

# On AWS seconds pass between a pod starting to terminate and the ALB no longer sending
# it new requests; the harness models that lag (the chart's preStop must exceed it).
PROPAGATION_SECONDS = 2.0
SETTLE_SECONDS = 3  # load before the first and after the last replacement


@dataclass(frozen=True)
class RolloutPlan:
    replicas: int
    rate: float  # requests/s of the steady load
    pre_stop: float
    drain: float
    shutdown: float
    grace: float
    readiness_period: float
    load_workers: int = 8


@dataclass
class RolloutResult:
    load: SteadyLoad
    exits: dict[str, int | None]
    lost: list[str]
    seconds: float


def run_rollout(
    tmp_path: Path, nginx_binary: str, resources: Resources, plan: RolloutPlan
) -> RolloutResult:
    env = {
        **resources.env(),
        "DEPOT_DRAIN_SECONDS": str(plan.drain),
        "DEPOT_SHUTDOWN_TIMEOUT_SECONDS": str(plan.shutdown),
        "DEPOT_LOG_LEVEL": "WARNING",
    }
    old = [Replica(f"old-{i}", env, tmp_path).start() for i in range(plan.replicas)]
    lb = Nginx(tmp_path / "nginx", nginx_binary).start([r.port for r in old])
    controller = TargetController(lb, plan.readiness_period, PROPAGATION_SECONDS, list(old))
    controller.start()
    load = SteadyLoad(lb.url, resources.keys["acme"], plan.rate, workers=plan.load_workers)
    new: list[Replica] = []
    began = time.monotonic()
    try:
        load.start()
        time.sleep(SETTLE_SECONDS)
        update = RollingUpdate(controller, ShutdownTimings(plan.pre_stop, plan.grace))
        new = update.replace_all(old, lambda i: Replica(f"new-{i}", env, tmp_path))
        time.sleep(SETTLE_SECONDS)
        load.stop()
        seconds = time.monotonic() - began
        return RolloutResult(load, update.exits, load.lost_writes(lb.url), seconds)
    finally:
        load.stop()
        controller.stop()
        for replica in old + new:
            replica.stop()
        lb.stop()
