"""The service's container, run as the chart runs it: the chart's hardening flags, its
environment, in a network namespace of its own (as a pod has) whose port is published on
the host's loopback, reaching the AWS emulator on the host's loopback through
slirp4netns (10.0.2.2 inside is 127.0.0.1 outside)."""

from __future__ import annotations

import subprocess
import uuid
from dataclasses import dataclass

from tests.container.podman import Podman, podman_env
from tests.support.tools import free_port

HOST_FROM_CONTAINER = "10.0.2.2"
NETWORK = "--network=slirp4netns:allow_host_loopback=true"


@dataclass(frozen=True)
class Running:
    name: str
    # Container port -> the port on 127.0.0.1 it is published on.
    ports: dict[int, int]

    def url(self, port: int, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[port]}{path}"


def start(
    podman: Podman, image: str, hardening: tuple[str, ...], env: dict[str, str], ports: set[int]
) -> Running:
    published = {port: free_port() for port in sorted(ports)}
    name = f"conformance-{uuid.uuid4().hex[:10]}"
    podman(
        *("run", "--detach", f"--name={name}", NETWORK, "--health-interval=disable"),
        *(f"--publish=127.0.0.1:{host}:{port}" for port, host in published.items()),
        *hardening,
        *(f"--env={key}={value}" for key, value in env.items()),
        image,
        timeout=120,
    )
    return Running(name, published)


def running(podman: Podman, name: str) -> bool:
    result = podman("container", "inspect", "--format={{.State.Running}}", name, check=False)
    return result.stdout.strip() == "true"


def exit_code(podman: Podman, name: str) -> int:
    result = podman("container", "inspect", "--format={{.State.ExitCode}}", name)
    return int(result.stdout.strip())


def output(podman: Podman, name: str) -> tuple[str, str]:
    """What the container wrote, stdout and stderr apart (the pipeline reads both)."""
    result = subprocess.run(
        [podman.binary, "logs", name],
        env=podman_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.stdout, result.stderr


def tail(podman: Podman, name: str, lines: int = 5) -> str:
    stdout, stderr = output(podman, name)
    return " | ".join((stdout + stderr).strip().splitlines()[-lines:]) or "(no output)"
