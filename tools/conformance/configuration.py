"""Fail closed and loud: started without a variable it needs, or with a value it cannot
use, the service exits non-zero at once and names the variable, instead of starting and
failing later on a request path (or crash-looping without saying why)."""

from __future__ import annotations

import time

from tests.container.podman import Podman
from tools.conformance import container
from tools.conformance.chart import ChartRun
from tools.conformance.contract import Contract
from tools.conformance.findings import Finding, failed, passed
from tools.conformance.http import ok, status

CHECK = "configuration"
_POLL_SECONDS = 0.2


def cases(contract: Contract, env: dict[str, str]) -> list[tuple[str, str, dict[str, str]]]:
    """(variable, what is wrong with it, the environment of the run)."""
    runs = [
        (name, "left out", {k: v for k, v in env.items() if k != name}) for name in contract.missing
    ]
    runs += [
        (name, f"set to {value!r}", {**env, name: value})
        for name, value in contract.invalid.items()
    ]
    return runs


def check_configuration(
    podman: Podman, image: str, run: ChartRun, contract: Contract, env: dict[str, str]
) -> list[Finding]:
    return [
        _one(podman, image, run, variable, wrong, case_env)
        for variable, wrong, case_env in cases(contract, env)
    ]


def _one(
    podman: Podman, image: str, run: ChartRun, variable: str, wrong: str, env: dict[str, str]
) -> Finding:
    expected = f"with {variable} {wrong}: exit non-zero, a message naming {variable}"
    target = container.start(podman, image, run.hardening, env, {run.liveness.port})
    try:
        deadline = time.monotonic() + run.startup.budget_seconds
        while container.running(podman, target.name):
            if ok(status(target.url(run.liveness.port, run.liveness.path), 1.0)):
                return failed(
                    CHECK,
                    f"started without a usable {variable}",
                    expected,
                    f"{run.liveness.path} answered while {variable} was {wrong}",
                )
            if time.monotonic() > deadline:
                return failed(
                    CHECK,
                    f"neither started nor exited with {variable} {wrong}",
                    expected,
                    f"still running after {run.startup.budget_seconds:g}s",
                )
            time.sleep(_POLL_SECONDS)
        code = container.exit_code(podman, target.name)
        stdout, stderr = container.output(podman, target.name)
        if code == 0:
            return failed(CHECK, f"exited 0 with {variable} {wrong}", expected, "exit status 0")
        if variable not in stdout + stderr:
            return failed(
                CHECK,
                f"the exit message does not name {variable}",
                expected,
                f"exit status {code}: {container.tail(podman, target.name)}",
            )
        return passed(CHECK, f"with {variable} {wrong}: exit status {code}, named in the message")
    finally:
        podman.remove(target.name)
