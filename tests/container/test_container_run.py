"""The image, run hardened (non-root, read-only root, no capabilities) against a moto
server on loopback: ready, a document round trip, metrics, and a clean SIGTERM exit."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.container.conftest import BuiltImage
from tests.container.depot_container import (
    HARDENING,
    DepotContainer,
    container_env,
    round_trip,
    start_depot,
)
from tests.container.podman import Podman
from tests.support.moto import MotoServer
from tests.support.tools import ROOT

START_REPORT = ROOT / ".cache" / "reports" / "container-start.json"

# Runs inside the container next to the server: what the kernel says about it.
SELF_CHECK = """
import json, os
def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return line.split()[1]
def writable(path):
    try:
        with open(os.path.join(path, ".probe"), "w") as handle:
            handle.write("x")
        os.remove(os.path.join(path, ".probe"))
        return True
    except OSError:
        return False
print(json.dumps({
    "uid": os.getuid(), "gid": os.getgid(),
    "cap_eff": status("CapEff"), "no_new_privs": status("NoNewPrivs"),
    "pid1": open("/proc/1/cmdline").read().rstrip("\\0").split("\\0"),
    "pid1_cwd": os.readlink("/proc/1/cwd"),
    "pid1_env": [v for v in open("/proc/1/environ").read().split("\\0") if v.startswith("PYTHON")],
    "root_writable": writable("/"), "opt_writable": writable("/opt/venv"),
    "tmp_writable": writable("/tmp"),
}))
"""


def test_ready(depot: DepotContainer) -> None:
    response = httpx.get(f"{depot.url}/readyz", timeout=5.0)
    assert response.status_code == 200
    assert response.json()["status"] == "ready"
    assert httpx.get(f"{depot.url}/livez", timeout=5.0).status_code == 200
    START_REPORT.parent.mkdir(parents=True, exist_ok=True)
    START_REPORT.write_text(json.dumps({"seconds_to_ready": depot.seconds_to_ready}) + "\n")


def test_image_healthcheck_passes(podman: Podman, depot: DepotContainer) -> None:
    """The Dockerfile's HEALTHCHECK (for Docker/Compose users) works without a shell."""
    result = podman("healthcheck", "run", depot.name, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_runs_hardened(podman: Podman, depot: DepotContainer) -> None:
    facts = json.loads(podman("exec", depot.name, "python", "-c", SELF_CHECK).stdout)
    assert (facts["uid"], facts["gid"]) == (10001, 10001)
    assert int(facts["cap_eff"], 16) == 0
    assert facts["no_new_privs"] == "1"
    # The interpreter itself is PID 1: no shell in between to swallow SIGTERM.
    # The console script's shebang is the venv's python, so the kernel starts it directly.
    assert facts["pid1"] == ["/opt/venv/bin/python", "/opt/venv/bin/service"]
    # The server runs in a directory its user can read, with no directory on sys.path.
    assert facts["pid1_cwd"] == "/"
    assert "PYTHONSAFEPATH=1" in facts["pid1_env"]
    assert facts["root_writable"] is False
    assert facts["opt_writable"] is False
    assert facts["tmp_writable"] is True


def test_document_round_trip(depot: DepotContainer) -> None:
    doc_id = round_trip(depot, "round-trip.txt", b"container round trip\n" * 64)
    # Without a key: refused, not served.
    assert httpx.get(f"{depot.url}/v1/documents/{doc_id}", timeout=5.0).status_code == 401


def test_metrics(depot: DepotContainer, depot_image: BuiltImage) -> None:
    httpx.get(f"{depot.url}/livez", timeout=5.0)
    response = httpx.get(f"{depot.url}/metrics", timeout=5.0)
    assert response.status_code == 200
    text = response.text
    assert "http_requests_total{" in text
    assert 'route="/livez"' in text
    build_info = next(line for line in text.splitlines() if line.startswith("depot_build_info{"))
    assert f'version="{depot_image.version}"' in build_info
    assert f'revision="{depot_image.revision}"' in build_info


def test_missing_configuration_stops_the_container(
    podman: Podman, depot_image: BuiltImage, moto_server: MotoServer, depot_stack: dict[str, object]
) -> None:
    """Fail closed and loud: no table name, no server; the message names the variable."""
    env = container_env(moto_server.url, depot_stack, port=8080)
    del env["DEPOT_TABLE_NAME"]
    result = podman(
        *("run", "--rm", "--network=none", *HARDENING),
        *(f"--env={key}={value}" for key, value in env.items()),
        depot_image.ref,
        timeout=60,
        check=False,
    )
    assert result.returncode not in (0, 137, 143), result.stderr
    assert "DEPOT_TABLE_NAME" in result.stdout + result.stderr


DRAIN_SECONDS = 2
SHUTDOWN_TIMEOUT_SECONDS = 3


@pytest.fixture
def draining_depot(
    podman: Podman, depot_image: BuiltImage, moto_server: MotoServer, depot_stack: dict[str, object]
) -> Iterator[DepotContainer]:
    container = start_depot(
        podman,
        depot_image.ref,
        moto_server.url,
        depot_stack,
        extra_env={
            "DEPOT_DRAIN_SECONDS": str(DRAIN_SECONDS),
            "DEPOT_SHUTDOWN_TIMEOUT_SECONDS": str(SHUTDOWN_TIMEOUT_SECONDS),
        },
    )
    yield container
    podman.remove(container.name)


def test_sigterm_drains_then_exits_cleanly(podman: Podman, draining_depot: DepotContainer) -> None:
    """SIGTERM reaches the server: readiness turns 503 while it still serves, then the
    process exits 0 by itself within drain + shutdown timeout (no SIGKILL needed)."""
    podman("kill", "--signal=TERM", draining_depot.name)
    readiness: list[int] = []
    served_while_draining = False
    for _ in range(DRAIN_SECONDS * 10):
        try:
            readiness.append(httpx.get(f"{draining_depot.url}/readyz", timeout=1.0).status_code)
            served_while_draining = (
                served_while_draining
                or httpx.get(f"{draining_depot.url}/livez", timeout=1.0).status_code == 200
            )
        except httpx.HTTPError:
            break
        if 503 in readiness and served_while_draining:
            break
        time.sleep(0.1)
    assert 503 in readiness, f"readiness never turned 503 after SIGTERM: {readiness}"
    assert served_while_draining
    # The deadline is the service's contract (README: drain, then shutdown timeout), with
    # a margin for container teardown on a busy machine.
    deadline = DRAIN_SECONDS + SHUTDOWN_TIMEOUT_SECONDS + 10
    try:
        exit_code = podman("wait", draining_depot.name, timeout=deadline).stdout.strip()
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running {deadline}s after SIGTERM:\n{podman.logs(draining_depot.name)}")
    assert exit_code == "0", podman.logs(draining_depot.name)
