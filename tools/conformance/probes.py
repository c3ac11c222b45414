"""The chart's probes, answered as the kubelet asks them: the startup probe passes within
its budget (periodSeconds x failureThreshold), then readiness and liveness pass, each
answer within the probe's timeoutSeconds."""

from __future__ import annotations

import time

from tests.container.podman import Podman
from tools.conformance import container
from tools.conformance.chart import ChartRun, Probe
from tools.conformance.findings import Finding, failed, passed
from tools.conformance.http import ok, status

CHECK = "probes"
_POLL_SECONDS = 0.2


def _until_passing(
    podman: Podman, target: container.Running, probe: Probe, within: float
) -> tuple[bool, int | str]:
    deadline = time.monotonic() + within
    answer: int | str = "not asked"
    while time.monotonic() < deadline:
        if not container.running(podman, target.name):
            return False, f"the container exited: {container.tail(podman, target.name)}"
        answer = status(target.url(probe.port, probe.path), probe.timeout_seconds)
        if ok(answer):
            return True, answer
        time.sleep(_POLL_SECONDS)
    return False, answer


def check_probes(podman: Podman, target: container.Running, run: ChartRun) -> list[Finding]:
    """Startup first: it gates the other two, as in the kubelet. Readiness gets the same
    budget: a pod that never turns ready never receives traffic."""
    findings: list[Finding] = []
    budget = run.startup.budget_seconds
    for role, probe in (("startup", run.startup), ("readiness", run.readiness)):
        passing, answer = _until_passing(podman, target, probe, budget)
        expected = (
            f"GET :{probe.port}{probe.path} answers 2xx/3xx within {probe.timeout_seconds:g}s, "
            f"passing within {budget:g}s of start"
        )
        if not passing:
            return [
                *findings,
                failed(CHECK, f"the {role} probe never passed", expected, f"last: {answer}"),
            ]
        findings.append(passed(CHECK, f"{role} probe {probe.path} answers {answer}"))
    answer = status(target.url(run.liveness.port, run.liveness.path), run.liveness.timeout_seconds)
    if not ok(answer):
        expected = f"GET :{run.liveness.port}{run.liveness.path} answers 2xx/3xx"
        return [*findings, failed(CHECK, "the liveness probe fails", expected, str(answer))]
    return [*findings, passed(CHECK, f"liveness probe {run.liveness.path} answers {answer}")]
