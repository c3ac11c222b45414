"""API key rotation under load, through the balancer to several replicas.

Clients move to a new key once it has been in the secret for one refresh interval (plus
the time one refresh takes); from then on none of their requests may fail. After a
revocation, the old key must get 401 from every replica within one interval.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from tests.reliability.deployment import Deployment
from tests.reliability.procs import FAKE_AWS, RecordProperty, Resources, depot_cli

REFRESH_SECONDS = 1.0
# One refresh reads the secret (tens of ms here); allow a second for it under load.
REFRESH_ALLOWANCE = 1.0
WORKERS = 4
RATE = 40  # requests/s
ROTATIONS = 2


@dataclass
class Sent:
    key_id: str
    sent_at: float
    status: int | None


@dataclass
class KeyTimeline:
    added_at: dict[str, float] = field(default_factory=dict)
    revoked_at: dict[str, float] = field(default_factory=dict)

    def must_work(self, sent: Sent) -> bool:
        """Whether the promise covers this request: key known for a full interval, not yet
        revoked when it was sent."""
        added = self.added_at.get(sent.key_id, float("-inf"))
        revoked = self.revoked_at.get(sent.key_id)
        known = sent.sent_at >= added + REFRESH_SECONDS + REFRESH_ALLOWANCE
        return known and (revoked is None or sent.sent_at < revoked)


@dataclass
class RotatingClients:
    url: str
    key_id: str
    key: str
    sent: list[Sent] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def use(self, key_id: str, key: str) -> None:
        with self._lock:
            self.key_id, self.key = key_id, key

    def start(self) -> RotatingClients:
        for index in range(WORKERS):
            thread = threading.Thread(target=self._work, args=(index,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _work(self, index: int) -> None:
        interval = WORKERS / RATE
        deadline = time.monotonic() + 300  # bounded whatever happens
        with httpx.Client(base_url=self.url, timeout=15) as client:
            while not self._stop.wait(interval) and time.monotonic() < deadline:
                with self._lock:
                    key_id, key = self.key_id, self.key
                sent_at = time.monotonic()
                try:
                    status: int | None = client.get(
                        "/v1/documents",
                        params={"limit": 1},
                        headers={"Authorization": f"Bearer {key}"},
                    ).status_code
                except httpx.HTTPError:
                    status = None
                with self._lock:
                    self.sent.append(Sent(key_id, sent_at, status))


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, nginx_binary: str, resources: Resources
) -> Iterator[Deployment]:
    env = {
        **resources.env(),
        "DEPOT_KEYS_REFRESH_SECONDS": str(REFRESH_SECONDS),
        "DEPOT_LOG_LEVEL": "WARNING",
    }
    started = Deployment.start(tmp_path_factory.mktemp("keys"), nginx_binary, env, 2)
    try:
        yield started
    finally:
        started.stop()


def _keys(resources: Resources, *args: str) -> dict[str, object]:
    env = {**FAKE_AWS, **resources.env()}
    return dict(json.loads(depot_cli(["keys", *args, "--secret-id", resources.secret_id], env)))


def _acme_key_id(resources: Resources) -> str:
    env = {**FAKE_AWS, **resources.env()}
    listed = depot_cli(["keys", "list", "--secret-id", resources.secret_id], env)
    entries = [json.loads(line) for line in listed.splitlines() if line.strip()]
    return str(next(entry["id"] for entry in entries if entry["tenant"] == "acme"))


def _answers_everywhere(deployment: Deployment, key: str) -> set[int]:
    headers = {"Authorization": f"Bearer {key}"}
    return {
        httpx.get(f"{r.url}/v1/documents", params={"limit": 1}, headers=headers).status_code
        for r in deployment.replicas
    }


@pytest.mark.slow
def test_rotation_under_load_fails_no_covered_request_and_revocation_bites(
    deployment: Deployment, resources: Resources, record_property: RecordProperty
) -> None:
    timeline = KeyTimeline()
    clients = RotatingClients(
        deployment.url, _acme_key_id(resources), resources.keys["acme"]
    ).start()
    revocation_checks: list[tuple[str, set[int]]] = []
    try:
        for _ in range(ROTATIONS):
            time.sleep(1.0)
            old_id, old_key = clients.key_id, clients.key
            rotated = _keys(resources, "rotate", "--tenant", "acme")
            new_id, new_key = str(rotated["id"]), str(rotated["key"])
            timeline.added_at[new_id] = time.monotonic()
            # Clients switch after one full interval, as the runbook tells them to.
            time.sleep(REFRESH_SECONDS + REFRESH_ALLOWANCE)
            clients.use(new_id, new_key)
            time.sleep(0.5)  # requests already in flight with the old key finish
            timeline.revoked_at[old_id] = time.monotonic()
            _keys(resources, "revoke", "--key-id", old_id)
            revoked_done = time.monotonic()
            time.sleep(REFRESH_SECONDS + REFRESH_ALLOWANCE)
            assert time.monotonic() >= revoked_done + REFRESH_SECONDS
            revocation_checks.append((old_id, _answers_everywhere(deployment, old_key)))
            assert _answers_everywhere(deployment, new_key) == {200}
    finally:
        clients.stop()

    covered = [s for s in clients.sent if timeline.must_work(s)]
    failed = [s for s in covered if s.status != 200]
    unexpected = [s for s in clients.sent if s.status not in (200, 401)]
    record_property("rotation_requests", len(clients.sent))
    record_property("rotation_covered_requests", len(covered))
    record_property("rotation_failed_covered_requests", len(failed))
    assert len(covered) >= RATE * 5, f"too few requests to prove anything: {len(covered)}"
    assert failed == [], f"requests with a valid key failed: {failed[:5]}"
    assert unexpected == [], f"answers other than 200/401: {unexpected[:5]}"
    for key_id, statuses in revocation_checks:
        assert statuses == {401}, f"revoked {key_id} still works somewhere: {statuses}"
