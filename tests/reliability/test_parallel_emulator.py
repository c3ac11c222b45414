"""The concurrency workloads again, on an emulator that does NOT serialise requests.

Every other reliability test runs on `depot.emulator`, moto applying one request at a time,
because moto evaluates a DynamoDB condition and writes the item without a lock: under its
own threaded server two conditional writes on one item can both pass, which DynamoDB never
allows. What each concurrency property needs:

- "At most one writer wins a version" (If-Match PATCH, test_concurrent_updates.py), "one
  document per Idempotency-Key" (the claim, test_lost_answers.py), "one content commit per
  version" (test_kill_during_upload.py): these ARE the atomicity of one conditional write.
  On a non-serialising emulator a failure would be the emulator's, not the service's, and a
  pass proves nothing either (the race window is moto's, a GIL switch between its check
  and its put). They need serialisation; nothing in the service replaces it (it holds no
  lock of its own: correctness is DynamoDB's condition, docs/adr/0006).
- What does not depend on that atomicity, and which real overlap tests better than a
  serialised emulator (requests really interleave inside the emulator, reads land between
  another request's read and write, replicas' threads all wait on it at once):
  the service never answers 5xx; every answer is consistent in itself (ETag = version,
  a PATCH's answer holds its own change on top of the version it named); no acknowledged
  write with a unique key is lost or changed; and the stored document is always exactly
  one acknowledged state (no torn or mixed item), whatever the emulator let through.
  Those are the assertions here.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.reliability.deployment import Deployment
from tests.reliability.procs import Emulator, RecordProperty, Resources, provision

CLIENTS = 8
WINS_PER_CLIENT = 3  # 24 metadata entries at most: under the 32-entry limit
MAX_ATTEMPTS_PER_CLIENT = 200  # bounded: a client gives up rather than spin
CREATES_PER_CLIENT = 12


@pytest.fixture(scope="module")
def parallel(
    tmp_path_factory: pytest.TempPathFactory, depot_venv: Any, nginx_binary: str
) -> Iterator[tuple[Deployment, Resources]]:
    emulator = Emulator(tmp_path_factory.mktemp("parallel-emulator"), serialised=False).start()
    try:
        resources = provision(emulator.url, ["acme", "globex"])
        env = {**resources.env(), "DEPOT_LOG_LEVEL": "WARNING"}
        started = Deployment.start(tmp_path_factory.mktemp("parallel"), nginx_binary, env, 3)
        try:
            yield started, resources
        finally:
            started.stop()
    finally:
        emulator.stop()


def _dependency_unavailable(answer: httpx.Response) -> bool:
    """The contract's answer when the emulator is too slow (docs/adr/0004): a 503 problem
    naming the dependency, with Retry-After. Allowed; any other 5xx is a failure."""
    return (
        answer.status_code == 503
        and "retry-after" in answer.headers
        and answer.headers.get("content-type", "").startswith("application/problem+json")
        and answer.json().get("type", "").endswith("dependency-unavailable")
    )


def _run(workers: list[threading.Thread]) -> None:
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in workers), "a client did not finish in time"


@pytest.mark.slow
def test_contended_if_match_writers_never_5xx_and_the_store_holds_an_answered_state(
    parallel: tuple[Deployment, Resources], record_property: RecordProperty
) -> None:
    deployment, resources = parallel
    headers = {"Authorization": f"Bearer {resources.keys['globex']}"}
    created = httpx.post(
        f"{deployment.url}/v1/documents", json={"name": "contended"}, headers=headers, timeout=10
    )
    assert created.status_code == 201, created.text
    doc = f"/v1/documents/{created.json()['id']}"
    wins: list[tuple[int, dict[str, Any], str, str]] = []  # (base, answer, entry, value)
    others: list[str] = []
    conflicts = 0
    unavailable = 0
    lock = threading.Lock()

    def writer(index: int) -> None:
        nonlocal conflicts, unavailable
        won = 0
        with httpx.Client(base_url=deployment.url, headers=headers, timeout=30) as client:
            for attempt in range(MAX_ATTEMPTS_PER_CLIENT):
                if won == WINS_PER_CLIENT:
                    return
                current = client.get(doc)
                if current.status_code != 200:
                    with lock:
                        if _dependency_unavailable(current):
                            unavailable += 1
                        else:
                            others.append(f"GET {current.status_code}")
                    continue
                if current.headers["etag"] != f'"{current.json()["version"]}"':
                    with lock:
                        others.append(f"GET with ETag {current.headers['etag']} != version")
                base = int(current.headers["etag"].strip('"'))
                entry, value = f"c{index}-{won}", str(attempt)
                patched = client.patch(
                    doc,
                    json={"metadata": {entry: value}},
                    headers={
                        "If-Match": f'"{base}"',
                        "Content-Type": "application/merge-patch+json",
                    },
                )
                with lock:
                    if patched.status_code == 200:
                        wins.append((base, patched.json(), entry, value))
                        won += 1
                    elif patched.status_code == 412:
                        conflicts += 1
                    elif _dependency_unavailable(patched):
                        unavailable += 1
                    else:
                        others.append(f"PATCH {patched.status_code}: {patched.text[:200]}")

    _run([threading.Thread(target=writer, args=(i,)) for i in range(CLIENTS)])
    produced = [answer["version"] for _, answer, _, _ in wins]
    record_property("parallel_if_match_wins", len(wins))
    record_property("parallel_if_match_conflicts_412", conflicts)
    record_property("parallel_if_match_503_dependency", unavailable)
    # Versions answered to two writers: the emulator let two conditional writes through
    # (what DynamoDB never does, and why test_concurrent_updates.py runs serialised).
    record_property("parallel_versions_won_twice", len(produced) - len(set(produced)))

    assert others == [], f"answers other than 200/412/503 dependency: {others[:5]}"
    assert len(wins) == CLIENTS * WINS_PER_CLIENT, "a client ran out of attempts"
    assert conflicts > 0, "no write ever raced another: the test proved nothing"
    for base, answer, _entry, _value in wins:
        assert answer["version"] == base + 1, "a PATCH answered a version it did not write"
        # Not asserted here: that the answer holds its own change. moto's threaded server
        # applies an update and reads back ALL_NEW without isolation, so another writer's
        # update can land in between: the emulator's race, not the service's (the
        # serialised run in test_concurrent_updates.py proves no update is lost).
    final = httpx.get(f"{deployment.url}{doc}", headers=headers, timeout=10).json()
    assert final["version"] == max(produced)
    assert any(final == answer for _, answer, _, _ in wins), (
        "the stored document is no state any writer was answered: a torn or mixed write"
    )


@pytest.mark.slow
def test_parallel_creates_and_replays_never_5xx_and_lose_no_acknowledged_create(
    parallel: tuple[Deployment, Resources], record_property: RecordProperty
) -> None:
    """Creates with unique names (half with an Idempotency-Key, each sent again at once, as
    a retrying client), interleaved with lists, on 3 replicas: no 500; every 201 is later
    read back exactly as answered; a replay answers the stored document or 409 in flight."""
    deployment, resources = parallel
    headers = {"Authorization": f"Bearer {resources.keys['acme']}"}
    acknowledged: dict[str, dict[str, Any]] = {}
    replays: list[tuple[str, int, dict[str, Any]]] = []  # (key, status, body)
    others: list[str] = []
    unavailable: list[str] = []
    lock = threading.Lock()

    def creator(index: int) -> None:
        with httpx.Client(base_url=deployment.url, headers=headers, timeout=30) as client:
            for n in range(CREATES_PER_CLIENT):
                body = {"name": f"p{index}-{n}", "metadata": {"n": str(n)}}
                extra = {}
                if n % 2 == 0:
                    extra = {"Idempotency-Key": f"k{index}-{n}-{uuid.uuid4().hex[:8]}"}
                answer = client.post("/v1/documents", json=body, headers=extra)
                with lock:
                    if answer.status_code == 201:
                        acknowledged[answer.json()["id"]] = answer.json()
                        if extra:
                            replays.append((extra["Idempotency-Key"], 201, answer.json()))
                    elif _dependency_unavailable(answer):
                        unavailable.append("POST")
                    else:
                        others.append(f"POST {answer.status_code}: {answer.text[:200]}")
                if extra:  # the same request again, as a client retrying at once
                    again = client.post("/v1/documents", json=body, headers=extra)
                    with lock:
                        if _dependency_unavailable(again):
                            unavailable.append("replay")
                        else:
                            replays.append(
                                (extra["Idempotency-Key"], again.status_code, again.json())
                            )
                listed = client.get("/v1/documents", params={"limit": 10})
                if listed.status_code != 200:
                    with lock:
                        if _dependency_unavailable(listed):
                            unavailable.append("LIST")
                        else:
                            others.append(f"LIST {listed.status_code}")

    _run([threading.Thread(target=creator, args=(i,)) for i in range(CLIENTS)])
    record_property("parallel_creates_acknowledged", len(acknowledged))
    record_property("parallel_creates_503_dependency", len(unavailable))
    assert others == [], f"answers other than 201/200/503 dependency: {others[:5]}"
    assert len(acknowledged) + unavailable.count("POST") == CLIENTS * CREATES_PER_CLIENT
    assert len(acknowledged) >= CLIENTS * CREATES_PER_CLIENT // 2, "the run proved little"
    by_key: dict[str, set[str]] = {}
    for key, status, body in replays:
        assert status in (200, 201, 409), f"a replay answered {status}: {body}"
        if status != 409:
            by_key.setdefault(key, set()).add(body["id"])
    assert all(len(ids) == 1 for ids in by_key.values()), "a replay answered another document"
    with httpx.Client(base_url=deployment.url, headers=headers, timeout=30) as client:
        for doc_id, answered in acknowledged.items():
            stored = client.get(f"/v1/documents/{doc_id}")
            assert stored.status_code == 200, f"acknowledged create {doc_id} lost"
            assert stored.json() == answered, "an acknowledged create changed"
