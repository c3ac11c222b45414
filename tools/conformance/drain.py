"""SIGTERM, as the kubelet sends it after the preStop sleep, held to the chart's timing
inequalities (charts/service/templates/_validate.tpl):

- readiness.periodSeconds x failureThreshold <= drainSeconds: the chart gives the
  kubelet that long to see the pod unready, so readiness must fail within one probe
  period of SIGTERM while the service keeps answering for that whole notice window;
- preStopSeconds + drainSeconds + timeoutSeconds < terminationGracePeriodSeconds: the
  process must exit by itself, with status 0, before the grace period left after preStop
  runs out (the kubelet SIGKILLs it then)."""

from __future__ import annotations

import subprocess
import time

from tests.container.podman import Podman
from tools.conformance import container
from tools.conformance.chart import ChartRun
from tools.conformance.findings import Finding, failed, passed
from tools.conformance.http import ok, status

CHECK = "drain"
_POLL_SECONDS = 0.1


def check_drain(podman: Podman, target: container.Running, run: ChartRun) -> list[Finding]:
    notice = run.readiness.budget_seconds
    podman("kill", "--signal=TERM", target.name)
    sent = time.monotonic()
    unready_at: float | None = None
    refused: list[str] = []
    while (elapsed := time.monotonic() - sent) < notice:
        ready = status(
            target.url(run.readiness.port, run.readiness.path), run.readiness.timeout_seconds
        )
        if unready_at is None and not ok(ready):
            unready_at = elapsed
        alive = status(
            target.url(run.liveness.port, run.liveness.path), run.liveness.timeout_seconds
        )
        if not ok(alive):
            refused.append(f"{run.liveness.path} -> {alive} at {elapsed:.1f}s")
        time.sleep(_POLL_SECONDS)
    findings = [_readiness(unready_at, run), _served(refused, notice)]
    return [*findings, _exit(podman, target, run, sent)]


def _readiness(unready_at: float | None, run: ChartRun) -> Finding:
    period = run.readiness.period_seconds
    expected = f"{run.readiness.path} fails within {period:g}s of SIGTERM (one readiness period)"
    if unready_at is None or unready_at > period:
        seen = "still passing" if unready_at is None else f"first failed at {unready_at:.1f}s"
        return failed(CHECK, "readiness did not turn failing on SIGTERM", expected, seen)
    return passed(CHECK, f"readiness failed {unready_at:.1f}s after SIGTERM")


def _served(refused: list[str], notice: float) -> Finding:
    expected = (
        f"requests still answered for {notice:g}s after SIGTERM (readiness period x threshold)"
    )
    if refused:
        return failed(
            CHECK,
            "stopped serving before the kubelet could see it unready",
            expected,
            "; ".join(refused[:3]),
        )
    return passed(CHECK, f"kept serving for the {notice:g}s notice window")


def _exit(podman: Podman, target: container.Running, run: ChartRun, sent: float) -> Finding:
    deadline = run.exit_deadline_seconds
    expected = (
        f"exits 0 by itself within {deadline:g}s of SIGTERM "
        f"(terminationGracePeriodSeconds {run.grace_seconds:g} - preStop {run.pre_stop_seconds:g})"
    )
    remaining = max(deadline - (time.monotonic() - sent), 0.5)
    try:
        podman("wait", target.name, timeout=remaining)
    except subprocess.TimeoutExpired:
        podman("kill", "--signal=KILL", target.name, check=False)
        return failed(
            CHECK,
            "the process outlived the grace period: the kubelet would SIGKILL it",
            expected,
            f"still running {deadline:g}s after SIGTERM",
        )
    code = container.exit_code(podman, target.name)
    took = time.monotonic() - sent
    if code != 0:
        return failed(
            CHECK,
            "the process did not exit cleanly on SIGTERM",
            expected,
            f"exit status {code} after {took:.1f}s",
        )
    return passed(CHECK, f"exited 0 {took:.1f}s after SIGTERM")
