"""AWS outages as the service sees them: the endpoint refuses connections, hangs, answers
5xx, or throttles. The service must answer 503 problem+json with Retry-After within its
configured time budget (no hung requests, no unbounded retries), keep /livez and
/readyz at 200 while reporting the dependency down (body and metrics), and recover by
itself, the same process, once the dependency is back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.reliability.faultproxy import Fault, FaultProxy
from tests.reliability.procs import Emulator, RecordProperty, Replica, Resources, wait_until

CONNECT_TIMEOUT = 0.5
READ_TIMEOUT = 1.0
MAX_ATTEMPTS = 2
RETRY_AFTER = 3
CHECK_PERIOD = 0.5
# The most one request may take when AWS is down: every attempt times out, plus botocore
# standard mode's backoff before each retry (at most 2^(i-1) s before retry i), plus the
# service's own work.
LATENCY_BOUND = (
    MAX_ATTEMPTS * (CONNECT_TIMEOUT + READ_TIMEOUT) + sum(2**i for i in range(MAX_ATTEMPTS - 1)) + 1
)
BURST_THREADS = 4
BURST_PER_THREAD = 5


@dataclass
class Setup:
    proxy: FaultProxy
    replica: Replica
    key: str
    doc_id: str


@pytest.fixture(scope="module")
def setup(
    tmp_path_factory: pytest.TempPathFactory, emulator: Emulator, resources: Resources
) -> Iterator[Setup]:
    proxy = FaultProxy(emulator.url).start()
    env = {
        **resources.env(endpoint=proxy.url),
        "DEPOT_AWS_CONNECT_TIMEOUT_SECONDS": str(CONNECT_TIMEOUT),
        "DEPOT_AWS_READ_TIMEOUT_SECONDS": str(READ_TIMEOUT),
        "DEPOT_AWS_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
        "DEPOT_RETRY_AFTER_SECONDS": str(RETRY_AFTER),
        "DEPOT_DEPENDENCY_CHECK_SECONDS": str(CHECK_PERIOD),
        "DEPOT_KEYS_REFRESH_SECONDS": "1",
        "DEPOT_BREAKER_OPEN_SECONDS": "1",
        "DEPOT_LOG_LEVEL": "WARNING",
    }
    replica = Replica("faults", env, tmp_path_factory.mktemp("faults")).start()
    key = resources.keys["acme"]
    created = httpx.post(
        f"{replica.url}/v1/documents",
        json={"name": "before the outage"},
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    try:
        yield Setup(proxy, replica, key, created.json()["id"])
    finally:
        replica.stop()
        proxy.stop()


def _burst(setup: Setup) -> list[tuple[int | None, float, httpx.Response | None]]:
    """Concurrent reads and writes: (status, seconds, response) of each."""
    results: list[tuple[int | None, float, httpx.Response | None]] = []
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {setup.key}"}

    def worker(index: int) -> None:
        with httpx.Client(base_url=setup.replica.url, headers=headers, timeout=30) as client:
            for n in range(BURST_PER_THREAD):
                started = time.monotonic()
                try:
                    if (index + n) % 2:
                        response = client.get(f"/v1/documents/{setup.doc_id}")
                    else:
                        response = client.post("/v1/documents", json={"name": f"b{index}-{n}"})
                except httpx.HTTPError:
                    with lock:
                        results.append((None, time.monotonic() - started, None))
                    continue
                with lock:
                    results.append((response.status_code, time.monotonic() - started, response))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(BURST_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _dependency_up(replica: Replica, backend: str) -> tuple[bool, float]:
    """(readyz body's view, metric depot_dependency_up) of one backend."""
    ready = httpx.get(f"{replica.url}/readyz", timeout=5).json()
    metrics = httpx.get(f"{replica.url}/metrics", timeout=5).text
    series = f'depot_dependency_up{{backend="{backend}"}}'
    line = next(x for x in metrics.splitlines() if x.startswith(series))
    return bool(ready["dependencies"][backend]["up"]), float(line.split()[-1])


def _probes_stay_up(replica: Replica) -> None:
    assert httpx.get(f"{replica.url}/livez", timeout=5).status_code == 200
    ready = httpx.get(f"{replica.url}/readyz", timeout=5)
    assert ready.status_code == 200, f"an AWS outage must not take the pod out: {ready.text}"


def _recovers(setup: Setup) -> None:
    pid = setup.replica.process.pid if setup.replica.process else None
    headers = {"Authorization": f"Bearer {setup.key}"}

    def serves() -> bool:
        url = f"{setup.replica.url}/v1/documents/{setup.doc_id}"
        return httpx.get(url, headers=headers, timeout=10).status_code == 200

    wait_until(serves, 20, "the service to serve again after the outage")
    wait_until(lambda: _dependency_up(setup.replica, "dynamodb") == (True, 1.0), 10, "dynamodb up")
    assert setup.replica.alive() and setup.replica.process is not None
    assert setup.replica.process.pid == pid, "recovery must not need a restart"


FAULTS = ["refused", "hang", "500", "503", "throttle"]


@pytest.mark.slow
@pytest.mark.parametrize("fault", FAULTS)
def test_outage_gives_bounded_503_then_recovers(
    setup: Setup, emulator: Emulator, fault: str, record_property: RecordProperty
) -> None:
    if fault == "refused":
        setup.proxy.refuse()
    elif fault == "hang":
        emulator.pause()
    else:
        setup.proxy.set_fault(Fault(fault, frozenset({"dynamodb"})))  # type: ignore[arg-type]
    forwarded_before = sum(setup.proxy.forwarded.values()) + sum(setup.proxy.injected.values())
    try:
        results = _burst(setup)
        wait_until(
            lambda: _dependency_up(setup.replica, "dynamodb") == (False, 0.0),
            10,
            "dynamodb reported down in /readyz and metrics",
        )
        _probes_stay_up(setup.replica)
        attempts = sum(setup.proxy.forwarded.values()) + sum(setup.proxy.injected.values())
    finally:
        if fault == "refused":
            setup.proxy.start()
        elif fault == "hang":
            emulator.resume()
        else:
            setup.proxy.set_fault(None)

    slowest = max(seconds for _, seconds, _ in results)
    record_property(f"{fault}_slowest_503_seconds", round(slowest, 3))
    assert len(results) == BURST_THREADS * BURST_PER_THREAD
    for status, seconds, response in results:
        assert status == 503, f"{fault}: expected 503, got {status}"
        assert response is not None
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.headers["retry-after"] == str(RETRY_AFTER)
        assert response.json()["type"].endswith("/dependency-unavailable")
        assert seconds <= LATENCY_BOUND, f"{fault}: a request took {seconds:.2f}s"
    if fault not in ("refused", "hang"):
        # Bounded retries: each request tries at most MAX_ATTEMPTS times (probes aside).
        probes = 60  # generous: two backends probed every CHECK_PERIOD during the burst
        assert attempts - forwarded_before <= len(results) * MAX_ATTEMPTS + probes
    _recovers(setup)


@pytest.mark.slow
def test_partial_throttling_never_gives_a_500(setup: Setup) -> None:
    """One DynamoDB call in three throttled: retries absorb most; whatever fails is a 503
    with Retry-After, never a 500 or a hang."""
    setup.proxy.set_fault(Fault("throttle", frozenset({"dynamodb"}), every=3))
    try:
        results = _burst(setup) + _burst(setup)
    finally:
        setup.proxy.set_fault(None)
    statuses = [status for status, _, _ in results]
    assert set(statuses) <= {200, 201, 503}, statuses
    assert statuses.count(503) < len(statuses) / 2, f"retries should absorb most: {statuses}"
    for status, seconds, response in results:
        assert seconds <= LATENCY_BOUND
        if status == 503:
            assert response is not None and response.headers["retry-after"] == str(RETRY_AFTER)
    _recovers(setup)
