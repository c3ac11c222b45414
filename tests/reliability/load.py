"""Steady, bounded HTTP load of mixed reads and writes, with a ledger of acknowledged writes.

Each worker thread owns the documents it creates, so any 412 or mismatch afterwards is
the service's fault, never a race between workers. After the run, `lost_writes` reads
every acknowledged write back: the "zero lost writes" half of zero-downtime.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

# One tick in ten per slot: 30% create, 20% patch, 40% get, 10% list.
PLAN = ("create", "get", "patch", "get", "create", "list", "get", "patch", "get", "create")
EXPECTED = {"create": 201, "get": 200, "patch": 200, "list": 200}


@dataclass(frozen=True)
class Outcome:
    op: str
    status: int | None  # None: no HTTP answer at all (connection refused/reset, timeout)
    error: str | None
    sent_at: float  # monotonic
    seconds: float

    @property
    def ok(self) -> bool:
        return self.status == EXPECTED[self.op]


@dataclass
class Acked:
    """The last state of a document the service acknowledged."""

    version: int
    name: str


@dataclass
class SteadyLoad:
    base_url: str
    api_key: str
    rate: float  # requests per second, all workers together
    workers: int = 8
    max_seconds: float = 300  # hard bound whatever the caller does
    timeout: float = 15.0
    outcomes: list[Outcome] = field(default_factory=list)
    acked: dict[str, Acked] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> SteadyLoad:
        began = time.monotonic()
        for index in range(self.workers):
            thread = threading.Thread(target=self._work, args=(index, began), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.timeout + 5)

    def _work(self, index: int, began: float) -> None:
        own: dict[str, Acked] = {}
        interval = self.workers / self.rate
        headers = {"Authorization": f"Bearer {self.api_key}"}
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=self.timeout) as client:
            tick = 0
            while not self._stop.is_set() and time.monotonic() - began < self.max_seconds:
                # Ticks are spread over the workers so the total rate is even, not bursty.
                due = began + (tick + index / self.workers) * interval
                delay = due - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    break
                op = PLAN[(tick + index) % len(PLAN)]
                if op in ("get", "patch") and not own:
                    op = "create"
                outcome = self._one(client, op, own, f"w{index}-{tick}")
                with self._lock:
                    self.outcomes.append(outcome)
                tick += 1
        with self._lock:
            self.acked.update(own)

    def _one(self, client: httpx.Client, op: str, own: dict[str, Acked], tag: str) -> Outcome:
        doc_id = next(reversed(own)) if own else ""
        sent = time.monotonic()
        try:
            if op == "create":
                response = client.post("/v1/documents", json={"name": tag, "metadata": {}})
                if response.status_code == 201:
                    own[response.json()["id"]] = Acked(1, tag)
            elif op == "get":
                response = client.get(f"/v1/documents/{doc_id}")
            elif op == "list":
                response = client.get("/v1/documents", params={"limit": 10})
            else:
                response = client.patch(
                    f"/v1/documents/{doc_id}",
                    json={"name": tag},
                    headers={
                        "If-Match": f'"{own[doc_id].version}"',
                        "Content-Type": "application/merge-patch+json",
                    },
                )
                if response.status_code == 200:
                    own[doc_id] = Acked(int(response.json()["version"]), tag)
                else:
                    # The write may or may not have happened: its outcome is unknown, so
                    # it is neither acknowledged nor checked (the failure is counted).
                    own.pop(doc_id, None)
        except httpx.HTTPError as exc:
            if op == "patch":
                own.pop(doc_id, None)
            return Outcome(op, None, type(exc).__name__, sent, time.monotonic() - sent)
        return Outcome(op, response.status_code, None, sent, time.monotonic() - sent)

    # -- results -----------------------------------------------------------------------

    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    def summary(self) -> dict[str, Any]:
        statuses = Counter(f"{o.op}:{o.status or o.error}" for o in self.outcomes)
        return {
            "requests": len(self.outcomes),
            "failed": len(self.failures()),
            "acknowledged_writes": len(self.acked),
            "by_outcome": dict(sorted(statuses.items())),
        }

    def lost_writes(self, base_url: str) -> list[str]:
        """Ids whose acknowledged state is not what a read returns now."""
        lost = []
        headers = {"Authorization": f"Bearer {self.api_key}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=self.timeout) as client:
            for doc_id, acked in self.acked.items():
                response = client.get(f"/v1/documents/{doc_id}")
                if response.status_code != 200:
                    lost.append(f"{doc_id}: {response.status_code}")
                    continue
                body = response.json()
                if (body["version"], body["name"]) != (acked.version, acked.name):
                    lost.append(f"{doc_id}: read {body['version']}/{body['name']}, acked {acked}")
        return lost
