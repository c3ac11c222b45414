"""Many clients updating the same document with If-Match, through the balancer, so the
writers land on different replicas: exactly one wins per version, no update is lost."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.reliability.deployment import Deployment
from tests.reliability.procs import RecordProperty, Resources

CLIENTS = 8
WINS_PER_CLIENT = 3  # 24 metadata entries: under the 32-entry limit
MAX_ATTEMPTS_PER_CLIENT = 200  # bounded: a client gives up rather than spin


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, nginx_binary: str, resources: Resources
) -> Iterator[Deployment]:
    env = {**resources.env(), "DEPOT_LOG_LEVEL": "WARNING"}
    started = Deployment.start(tmp_path_factory.mktemp("concurrency"), nginx_binary, env, 3)
    try:
        yield started
    finally:
        started.stop()


@pytest.mark.slow
def test_if_match_writers_across_replicas_one_winner_per_version(
    deployment: Deployment, resources: Resources, record_property: RecordProperty
) -> None:
    headers = {"Authorization": f"Bearer {resources.keys['globex']}"}
    created = httpx.post(
        f"{deployment.url}/v1/documents", json={"name": "contended"}, headers=headers, timeout=10
    )
    assert created.status_code == 201, created.text
    doc = f"/v1/documents/{created.json()['id']}"
    wins: list[tuple[int, int, str]] = []  # (version written on, version produced, entry)
    others: list[str] = []
    conflicts = 0
    lock = threading.Lock()

    def writer(index: int) -> None:
        nonlocal conflicts
        won = 0
        with httpx.Client(base_url=deployment.url, headers=headers, timeout=30) as client:
            for attempt in range(MAX_ATTEMPTS_PER_CLIENT):
                if won == WINS_PER_CLIENT:
                    return
                current = client.get(doc)
                if current.status_code != 200:
                    with lock:
                        others.append(f"GET {current.status_code}")
                    continue
                base = int(current.headers["etag"].strip('"'))
                entry = f"c{index}-{won}"
                patched = client.patch(
                    doc,
                    json={"metadata": {entry: str(attempt)}},
                    headers={
                        "If-Match": f'"{base}"',
                        "Content-Type": "application/merge-patch+json",
                    },
                )
                with lock:
                    if patched.status_code == 200:
                        wins.append((base, int(patched.json()["version"]), entry))
                        won += 1
                    elif patched.status_code == 412:
                        conflicts += 1
                    else:
                        others.append(f"PATCH {patched.status_code}: {patched.text[:200]}")

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    record_property("if_match_wins", len(wins))
    record_property("if_match_conflicts_412", conflicts)

    assert others == [], f"answers other than 200/412: {others[:5]}"
    assert len(wins) == CLIENTS * WINS_PER_CLIENT, "a client ran out of attempts"
    assert conflicts > 0, "no write ever raced another: the test proved nothing"
    produced = sorted(version for _, version, _ in wins)
    assert produced == list(range(2, 2 + len(wins))), "two writers won the same version"
    assert all(new == base + 1 for base, new, _ in wins)
    final = httpx.get(f"{deployment.url}{doc}", headers=headers, timeout=10).json()
    assert final["version"] == 1 + len(wins)
    assert set(final["metadata"]) == {entry for _, _, entry in wins}, "an update was lost"
