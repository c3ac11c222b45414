"""Target registration and the rolling update, the way EKS + the Load Balancer Controller do.

- A replica is registered with the balancer once its readiness probe passes, and
  deregistered when the probe fails (or nothing answers), polled every readiness period.
- When a pod starts terminating, its target is deregistered too, but only after a
  propagation lag (on AWS, seconds pass before the ALB stops sending new requests): the
  preStop sleep exists to cover that lag.
- The rolling update is maxSurge 1 / maxUnavailable 0: start a new replica, wait until
  it is ready and registered, then terminate an old one (preStop sleep, SIGTERM, the
  service's own drain), and go on without waiting for the old one to exit.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.reliability.balancer import Nginx
from tests.reliability.procs import Replica, wait_until


@dataclass
class TargetController:
    lb: Nginx
    readiness_period: float
    propagation_seconds: float
    replicas: list[Replica] = field(default_factory=list)
    terminating_since: dict[str, float] = field(default_factory=dict)
    _last_probe: dict[str, tuple[float, bool]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> TargetController:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=30)

    def add(self, replica: Replica) -> None:
        with self._lock:
            self.replicas.append(replica)

    def begin_termination(self, replica: Replica) -> None:
        with self._lock:
            self.terminating_since[replica.name] = time.monotonic()

    def registered(self, replica: Replica) -> bool:
        return replica.port in self.lb.upstreams

    def _loop(self) -> None:
        while not self._stop.wait(0.05):
            now = time.monotonic()
            with self._lock:
                replicas = list(self.replicas)
                terminating = dict(self.terminating_since)
            wanted = []
            for replica in replicas:
                if not replica.alive():
                    continue
                since = terminating.get(replica.name)
                if since is not None and now - since >= self.propagation_seconds:
                    continue
                probed_at, ready = self._last_probe.get(replica.name, (0.0, False))
                if now - probed_at >= self.readiness_period:
                    ready = replica.readiness() == 200
                    self._last_probe[replica.name] = (now, ready)
                if ready:
                    wanted.append(replica.port)
            self.lb.set_upstreams(wanted)


@dataclass(frozen=True)
class ShutdownTimings:
    pre_stop_seconds: float
    grace_seconds: float


@dataclass
class RollingUpdate:
    controller: TargetController
    timings: ShutdownTimings
    exits: dict[str, int | None] = field(default_factory=dict)
    _terminations: list[threading.Thread] = field(default_factory=list)

    def replace_all(self, old: list[Replica], make_new: Callable[[int], Replica]) -> list[Replica]:
        new_replicas = []
        for index, replica in enumerate(old):
            fresh = make_new(index).start(wait_ready=True)
            self.controller.add(fresh)
            wait_until(
                lambda r=fresh: self.controller.registered(r),  # type: ignore[misc]
                30,
                f"{fresh.name} to be registered",
            )
            new_replicas.append(fresh)
            thread = threading.Thread(target=self._terminate, args=(replica,), daemon=True)
            thread.start()
            self._terminations.append(thread)
        for thread in self._terminations:
            thread.join(timeout=self.timings.grace_seconds + self.timings.pre_stop_seconds + 30)
        return new_replicas

    def _terminate(self, replica: Replica) -> None:
        self.controller.begin_termination(replica)
        time.sleep(self.timings.pre_stop_seconds)  # the preStop hook
        replica.terminate()
        # terminationGracePeriodSeconds counts from the start of preStop.
        remaining = max(self.timings.grace_seconds - self.timings.pre_stop_seconds, 1.0)
        try:
            self.exits[replica.name] = replica.wait(timeout=remaining)
        except subprocess.TimeoutExpired:
            replica.kill()  # the grace period is over: the kubelet's SIGKILL
            self.exits[replica.name] = None
