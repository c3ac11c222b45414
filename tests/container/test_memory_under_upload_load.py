"""The image under the prod memory limit (768 MiB, gitops prod values) survives an upload
storm: 64 concurrent 20 MiB uploads. Some may be refused (503 `overloaded` with
Retry-After, docs/adr/0007), none may get the process OOM-killed, and metadata GETs keep
a bounded p99 meanwhile."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.container.conftest import BuiltImage
from tests.container.depot_container import start_depot
from tests.container.podman import Podman
from tests.support.moto import MotoServer

MEMORY_LIMIT = "768m"
UPLOADS = 64
UPLOAD_BYTES = 20 * 1024 * 1024
CHUNK = b"m" * (256 * 1024)
# Metadata reads while the storm runs: their p99 must stay under this. Measured here at
# 2.5-3.6 s on 2 shared cores, where the emulator (one Python process) stores every part
# and answers the GetItem too; the figure is recorded in the JUnit report.
METADATA_P99_SECONDS = 5.0
# The emulator, not S3, is the slow part under this storm: a generous read timeout keeps
# its slowness from turning uploads into 503 dependency-unavailable, so the test is about
# memory and upload slots.
EMULATOR_PATIENCE = {
    "DEPOT_AWS_READ_TIMEOUT_SECONDS": "30",
    "DEPOT_AWS_CONNECT_TIMEOUT_SECONDS": "5",
}
PUT_503 = 'http_requests_total{method="PUT",route="/v1/documents/{doc_id}/content",status="503"'


def _body() -> Iterator[bytes]:
    for _ in range(UPLOAD_BYTES // len(CHUNK)):
        yield CHUNK


def _counter(metrics: str, prefix: str) -> float:
    return sum(float(line.split()[-1]) for line in metrics.splitlines() if line.startswith(prefix))


@pytest.mark.slow
def test_upload_storm_under_the_memory_limit_never_kills_the_process(
    podman: Podman,
    depot_image: BuiltImage,
    moto_server: MotoServer,
    depot_stack: dict[str, object],
    record_property: Callable[[str, object], None],
) -> None:
    container = start_depot(
        podman,
        depot_image.ref,
        moto_server.url,
        depot_stack,
        extra_env=EMULATOR_PATIENCE,
        run_args=(f"--memory={MEMORY_LIMIT}", f"--memory-swap={MEMORY_LIMIT}"),
    )
    headers = {"Authorization": f"Bearer {container.api_key}"}
    statuses: list[int | str] = []
    problems: list[str] = []
    latencies: list[float] = []
    lock = threading.Lock()
    try:
        with httpx.Client(base_url=container.url, headers=headers, timeout=30) as client:
            ids = [client.post("/v1/documents", json={"name": f"s{n}"}).json()["id"]
                   for n in range(UPLOADS)]  # fmt: skip
            probe_id = ids[0]
        storm_over = threading.Event()

        def upload(doc_id: str) -> None:
            with httpx.Client(base_url=container.url, headers=headers, timeout=120) as c:
                try:
                    response = c.put(f"/v1/documents/{doc_id}/content", content=_body())
                    status: int | str = response.status_code
                    if status == 503:
                        with lock:
                            problems.append(response.json()["type"])
                except httpx.TransportError as exc:
                    # Refused before the body was read: the server answered 503 and
                    # closed while the client was still sending (counted from metrics).
                    status = type(exc).__name__
            with lock:
                statuses.append(status)

        def read_metadata() -> None:
            with httpx.Client(base_url=container.url, headers=headers, timeout=30) as c:
                for _ in range(10_000):
                    if storm_over.is_set():
                        return
                    started = time.monotonic()
                    response = c.get(f"/v1/documents/{probe_id}")
                    assert response.status_code == 200, response.text
                    with lock:
                        latencies.append(time.monotonic() - started)
                    time.sleep(0.05)

        reader = threading.Thread(target=read_metadata)
        reader.start()
        uploaders = [threading.Thread(target=upload, args=(i,)) for i in ids]
        for thread in uploaders:
            thread.start()
        for thread in uploaders:
            thread.join(timeout=300)
        storm_over.set()
        reader.join(timeout=30)

        state = podman.inspect_container(container.name)["State"]
        assert state["Running"] and not state["OOMKilled"], f"the process died: {state}"
        metrics = httpx.get(f"{container.url}/metrics", timeout=10).text
    finally:
        podman.remove(container.name)

    stored = statuses.count(201)
    refused = len(statuses) - stored
    answered_503 = _counter(
        metrics,
        'http_requests_total{method="PUT",route="/v1/documents/{doc_id}/content",status="503"',
    )
    latencies.sort()
    p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)] if latencies else float("inf")
    record_property("uploads_stored", stored)
    record_property("uploads_refused", refused)
    record_property("metadata_get_p99_seconds", round(p99, 3))
    record_property("refusals_seen_by_clients", ",".join(sorted(set(problems))))
    print(f"stored {stored}, refused {refused} (503 in metrics: {answered_503}), p99 {p99:.3f}s")
    assert len(statuses) == UPLOADS
    assert stored >= 1, f"no upload succeeded: {statuses}"
    assert set(statuses) - {201, 503} <= {"WriteError", "RemoteProtocolError", "ReadError"}
    assert answered_503 >= refused, "every refused upload was a 503 answered by the server"
    # Refusals are the upload slots at work; an emulator that could not keep up (one
    # Python process storing every part) may add dependency-unavailable, never a 500.
    assert "/problems/overloaded" in problems, f"the upload slots never refused: {problems}"
    assert set(problems) <= {"/problems/overloaded", "/problems/dependency-unavailable"}
    assert len(latencies) >= 5, "too few metadata reads to judge"
    assert p99 <= METADATA_P99_SECONDS, f"metadata GET p99 {p99:.2f}s under the upload storm"
