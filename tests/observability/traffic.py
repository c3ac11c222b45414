"""Background traffic against the depot instances: a realistic mix of routes, bounded in
time, counted by status. It keeps running while the emulator is down (503s)."""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter

import httpx


class Traffic:
    def __init__(self, base_urls: list[str], api_key: str, max_seconds: float = 600.0) -> None:
        self.base_urls = base_urls
        self.headers = {"Authorization": f"Bearer {api_key}"}
        self.max_seconds = max_seconds
        self.statuses: Counter[int] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Traffic:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        deadline = time.monotonic() + self.max_seconds
        with httpx.Client(headers=self.headers, timeout=5.0) as client:
            i = 0
            while not self._stop.is_set() and time.monotonic() < deadline:
                self._round(client, self.base_urls[i % len(self.base_urls)], i)
                i += 1
                # A few requests per second per instance: enough for every rate, frugal
                # on a shared machine.
                self._stop.wait(0.05)

    def _round(self, client: httpx.Client, base: str, i: int) -> None:
        # A caller's W3C trace context, as an instrumented client or the ALB would send:
        # the service logs its trace id even with its own tracing off.
        traceparent = f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"
        try:
            created = client.post(
                f"{base}/v1/documents",
                json={"name": f"report-{i}.txt", "content_type": "text/plain"},
                headers={"traceparent": traceparent},
            )
            self.statuses[created.status_code] += 1
            if created.status_code == 201:
                doc = created.json()["id"]
                for response in (
                    client.put(
                        f"{base}/v1/documents/{doc}/content",
                        content=b"hello " * 50,
                        headers={"Content-Type": "text/plain"},
                    ),
                    client.get(f"{base}/v1/documents/{doc}"),
                    client.get(f"{base}/v1/documents/{doc}/content"),
                ):
                    self.statuses[response.status_code] += 1
            for response in (
                client.get(f"{base}/v1/documents", params={"limit": 5}),
                client.get(f"{base}/v1/documents/00000000000000000000000000"),
            ):
                self.statuses[response.status_code] += 1
        except httpx.HTTPError:
            self.statuses[0] += 1
