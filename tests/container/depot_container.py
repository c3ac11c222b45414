"""A depot container run the way the chart runs it: non-root, read-only root, no
capabilities, no privilege escalation, only /tmp writable."""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.container.podman import Podman
from tests.support.moto import MOTO_ENV
from tests.support.tools import ROOT, free_port

DEPOT_PYTHON = ROOT / "services" / "depot" / ".venv" / "bin" / "python"
TENANT = "acme"
USER = "10001:10001"
# Every flag here mirrors a field of the chart's securityContext; --read-only-tmpfs=false
# stops podman from adding its own writable /run and /var/tmp, which Kubernetes would not.
HARDENING = (
    f"--user={USER}",
    "--read-only",
    "--read-only-tmpfs=false",
    "--tmpfs=/tmp:rw,nosuid,nodev,noexec,size=16m",
    "--cap-drop=ALL",
    "--security-opt=no-new-privileges",
)


@dataclass(frozen=True)
class DepotContainer:
    name: str
    url: str
    api_key: str
    # From `podman run` to the first 200 on /readyz: a figure for the benchmarks.
    seconds_to_ready: float


def provision(
    endpoint_url: str, workdir: Path, extra_env: dict[str, str] | None = None
) -> dict[str, object]:
    """Create the service's AWS resources on the emulator with `depot dev provision`."""
    result = subprocess.run(
        [
            *(str(DEPOT_PYTHON), "-m", "depot", "dev", "provision"),
            *("--endpoint-url", endpoint_url, "--tenant", TENANT),
        ],
        env={
            **{"PATH": "/usr/bin:/bin", "HOME": str(workdir), **MOTO_ENV},
            **{"AWS_REGION": "eu-west-1", **(extra_env or {})},
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"depot dev provision failed:\n{result.stdout}\n{result.stderr}")
    return dict(json.loads(result.stdout))


def container_env(endpoint_url: str, stack: dict[str, object], port: int) -> dict[str, str]:
    return {
        "PORT": str(port),
        "DEPOT_HOST": "127.0.0.1",
        "DEPOT_TABLE_NAME": str(stack["table"]),
        "DEPOT_BUCKET_NAME": str(stack["bucket"]),
        "DEPOT_KEYS_SECRET_ID": str(stack["secret_id"]),
        "AWS_REGION": "eu-west-1",
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": MOTO_ENV["AWS_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": MOTO_ENV["AWS_SECRET_ACCESS_KEY"],
    }


def start_depot(
    podman: Podman,
    image: str,
    endpoint_url: str,
    stack: dict[str, object],
    extra_env: dict[str, str] | None = None,
    ready_within: float = 60.0,
    run_args: tuple[str, ...] = (),
) -> DepotContainer:
    port = free_port()
    name = f"depot-test-{port}"
    started = time.monotonic()
    env = {**container_env(endpoint_url, stack, port), **(extra_env or {})}
    podman(
        *("run", "--detach", f"--name={name}"),
        # Host networking: the container reaches moto on 127.0.0.1 and the test reaches
        # the container there too; DEPOT_HOST keeps the server on loopback.
        "--network=host",
        # The image's HEALTHCHECK stays configured (a test runs it on demand); only
        # podman's systemd timer for it is off, as there is no systemd here.
        "--health-interval=disable",
        *HARDENING,
        *run_args,
        *(f"--env={key}={value}" for key, value in env.items()),
        image,
    )
    keys = stack["keys"]
    assert isinstance(keys, dict)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(podman, name, url, ready_within)
    except BaseException:
        podman.remove(name)
        raise
    return DepotContainer(name, url, str(keys[TENANT]), round(time.monotonic() - started, 2))


def is_running(podman: Podman, name: str) -> bool:
    result = podman("container", "inspect", "--format={{.State.Running}}", name, check=False)
    return result.stdout.strip() == "true"


def wait_ready(podman: Podman, name: str, url: str, within: float) -> None:
    """Poll /readyz until 200; fail early with the logs if the container dies."""
    deadline = time.monotonic() + within
    last = "no answer"
    while time.monotonic() < deadline:
        if not is_running(podman, name):
            raise AssertionError(f"container exited before ready:\n{podman.logs(name)}")
        try:
            response = httpx.get(f"{url}/readyz", timeout=2.0)
            if response.status_code == 200:
                return
            last = f"{response.status_code} {response.text[:300]}"
        except httpx.HTTPError as error:
            last = repr(error)
        time.sleep(0.2)
    raise AssertionError(f"/readyz not 200 within {within}s (last: {last}):\n{podman.logs(name)}")


def round_trip(depot: DepotContainer, name: str, content: bytes) -> str:
    """Create a document, store `content`, read it back byte for byte, delete it; the id."""
    headers = {"Authorization": f"Bearer {depot.api_key}"}
    with httpx.Client(base_url=depot.url, headers=headers, timeout=10.0) as client:
        created = client.post("/v1/documents", json={"name": name, "content_type": "text/plain"})
        assert created.status_code == 201, created.text
        doc_id = str(created.json()["id"])
        uploaded = client.put(
            f"/v1/documents/{doc_id}/content",
            content=content,
            headers={"Content-Type": "application/octet-stream"},
        )
        assert uploaded.status_code == 201, uploaded.text
        assert uploaded.json()["status"] == "available"
        downloaded = client.get(f"/v1/documents/{doc_id}/content")
        assert downloaded.status_code == 200, downloaded.text
        assert hashlib.sha256(downloaded.content).digest() == hashlib.sha256(content).digest()
        assert client.delete(f"/v1/documents/{doc_id}").status_code == 204
        assert client.get(f"/v1/documents/{doc_id}").status_code == 404
    return doc_id
