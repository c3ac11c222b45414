"""What the chart (charts/service) makes of a service: its pod, rendered by the real helm
with the service's value files, read into the facts a conformance run mirrors (identity,
hardening, environment, probes, shutdown timings, the scrape path). Nothing here repeats
a number of the chart: change values.yaml or a template and the run follows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.chart.rendering import RenderError, helm_template

# The chart refuses to render without an immutable image reference; the run starts the
# image under test itself, so these only satisfy the chart's checks.
_IMAGE_ARGS = (
    "--set=image.repository=conformance.invalid/service",
    "--set=image.tag=v0.0.0",
    f"--set=image.digest=sha256:{'0' * 64}",
)
# Fields of the chart's securityContexts and what mirrors each in `podman run`; a field
# the chart gains and nothing here mirrors stops the run (ChartError), so the run never
# silently stops being "as the chart runs it".
_MIRRORED_FIELDS = {
    "runAsNonRoot",  # checked on the image's USER (image.check_user)
    "runAsUser",
    "runAsGroup",
    "fsGroup",
    "allowPrivilegeEscalation",
    "privileged",
    "readOnlyRootFilesystem",
    "capabilities",
    "seccompProfile",  # RuntimeDefault: podman's default seccomp profile
}
_QUANTITY = re.compile(r"^(\d+)(Ki|Mi|Gi)?$")


class ChartError(RuntimeError):
    """The chart did not render, or renders something the run cannot mirror."""


@dataclass(frozen=True)
class Probe:
    path: str
    port: int
    period_seconds: float
    timeout_seconds: float
    failure_threshold: int

    @property
    def budget_seconds(self) -> float:
        """How long the kubelet lets this probe fail before it acts."""
        return self.period_seconds * self.failure_threshold


@dataclass(frozen=True)
class ChartRun:
    user: int
    group: int
    hardening: tuple[str, ...]
    env: dict[str, str]
    port: int
    startup: Probe
    liveness: Probe
    readiness: Probe
    metrics_path: str
    pre_stop_seconds: float
    grace_seconds: float

    @property
    def exit_deadline_seconds(self) -> float:
        """After SIGTERM, the time left before the kubelet's SIGKILL: the grace period
        counts from the start of preStop."""
        return self.grace_seconds - self.pre_stop_seconds


def render(helm: str, service: str, port: int, values: tuple[Path, ...]) -> list[dict[str, Any]]:
    """The chart rendered as the chart tests render it, with the service's value files."""
    args = [f"--values={path}" for path in values]
    try:
        return helm_template(helm, [*args, *_IMAGE_ARGS, f"--set=containerPort={port}"], service)
    except RenderError as error:
        raise ChartError(
            f"helm template failed for the contract's values:\n{error.stderr}"
        ) from None


def chart_run(manifests: list[dict[str, Any]]) -> ChartRun:
    workload = _one(manifests, {"Deployment", "Rollout"})
    pod = workload["spec"]["template"]["spec"]
    container = pod["containers"][0]
    ports = {p["name"]: int(p["containerPort"]) for p in container["ports"]}
    context = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
    unmirrored = set(context) - _MIRRORED_FIELDS
    if unmirrored:
        raise ChartError(
            f"the chart sets securityContext fields {sorted(unmirrored)} that the conformance "
            "run does not mirror; extend tools/conformance/chart.py"
        )
    monitor = _one(manifests, {"ServiceMonitor"})["spec"]["endpoints"][0]
    return ChartRun(
        user=int(context["runAsUser"]),
        group=int(context["runAsGroup"]),
        hardening=_hardening(context, pod, container),
        env={e["name"]: str(e["value"]) for e in container.get("env", []) if "value" in e},
        port=ports["http"],
        startup=_probe(container["startupProbe"], ports),
        liveness=_probe(container["livenessProbe"], ports),
        readiness=_probe(container["readinessProbe"], ports),
        metrics_path=str(monitor["path"]),
        pre_stop_seconds=float(container["lifecycle"]["preStop"]["sleep"]["seconds"]),
        grace_seconds=float(pod["terminationGracePeriodSeconds"]),
    )


def _one(manifests: list[dict[str, Any]], kinds: set[str]) -> dict[str, Any]:
    found = [m for m in manifests if m.get("kind") in kinds]
    if len(found) != 1:
        raise ChartError(
            f"expected one {'/'.join(sorted(kinds))} in the render, found {len(found)}"
        )
    return found[0]


def _probe(spec: dict[str, Any], ports: dict[str, int]) -> Probe:
    port = spec["httpGet"]["port"]
    return Probe(
        path=str(spec["httpGet"]["path"]),
        port=ports[port] if isinstance(port, str) else int(port),
        period_seconds=float(spec.get("periodSeconds", 10)),
        timeout_seconds=float(spec.get("timeoutSeconds", 1)),
        failure_threshold=int(spec.get("failureThreshold", 3)),
    )


def _hardening(
    context: dict[str, Any], pod: dict[str, Any], container: dict[str, Any]
) -> tuple[str, ...]:
    """`podman run` flags for each field of the securityContext and each emptyDir."""
    flags = [f"--user={context['runAsUser']}:{context['runAsGroup']}"]
    if "fsGroup" in context:
        flags.append(f"--group-add={context['fsGroup']}")
    if context.get("readOnlyRootFilesystem"):
        # podman would add its own writable /run and /var/tmp; Kubernetes does not.
        flags += ["--read-only", "--read-only-tmpfs=false"]
    if context.get("privileged"):
        raise ChartError("the chart runs the container privileged; the conformance run will not")
    if context.get("allowPrivilegeEscalation") is False:
        flags.append("--security-opt=no-new-privileges")
    flags += [f"--cap-drop={cap}" for cap in context.get("capabilities", {}).get("drop", [])]
    flags += [f"--cap-add={cap}" for cap in context.get("capabilities", {}).get("add", [])]
    empty_dirs = {v["name"]: v["emptyDir"] for v in pod.get("volumes", []) if "emptyDir" in v}
    for mount in container.get("volumeMounts", []):
        if mount["name"] in empty_dirs:
            size = _tmpfs_size(empty_dirs[mount["name"]].get("sizeLimit"))
            flags.append(f"--tmpfs={mount['mountPath']}:rw,nosuid,nodev{size}")
    return tuple(flags)


def _tmpfs_size(quantity: str | None) -> str:
    if quantity is None:
        return ""
    match = _QUANTITY.match(str(quantity))
    if not match:
        raise ChartError(f"emptyDir sizeLimit {quantity!r}: the run mirrors Ki, Mi, Gi or bytes")
    unit = {"Ki": "k", "Mi": "m", "Gi": "g", None: ""}[match.group(2)]
    return f",size={match.group(1)}{unit}"
