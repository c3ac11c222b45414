"""What would page, printed: the receiver of the live alerting test
(tests/observability/receiver.py) takes Alertmanager's webhooks and PagerDuty events;
this prints each one as it arrives, in the words an on-call would read."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from tests.observability.receiver import Receiver

# Prefix of every printed page; the test of `make up` looks for it.
PAGE_MARK = ">>> WOULD PAGE"


def describe(path: str, payload: dict[str, Any]) -> list[str]:
    """Lines for one delivery: a webhook (path = receiver name) or a PagerDuty event
    (path = pagerduty/<receiver name>)."""
    if path.startswith("pagerduty/"):
        summary = payload.get("payload", {}).get("summary", "")
        return [f"    PagerDuty event to {path.removeprefix('pagerduty/')}: {summary}"]
    lines = []
    for alert in payload.get("alerts", []):
        labels, notes = alert.get("labels", {}), alert.get("annotations", {})
        name, status = labels.get("alertname", "?"), alert.get("status", "?")
        if path.endswith("-pager"):
            head = f"{PAGE_MARK} via {path}: {name} ({status})"
        elif path.startswith("heartbeat-"):
            head = f"--- heartbeat via {path}: {name}"
        else:
            head = f"--- would open a ticket via {path}: {name} ({status})"
        lines.append(head)
        if notes.get("summary"):
            lines.append(f"    {notes['summary']}")
        if notes.get("runbook_url"):
            lines.append(f"    runbook: {notes['runbook_url']}")
        shown = {k: v for k, v in labels.items() if k != "alertname"}
        lines.append(f"    labels: {shown}")
    return lines


class PagePrinter:
    """Prints every delivery the receiver got, in order, until stopped (a poll every
    half second: the receiver only appends)."""

    def __init__(self, receiver: Receiver, out: Callable[[str], None]) -> None:
        self.receiver = receiver
        self.out = out
        self._seen = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> PagePrinter:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.flush()

    def flush(self) -> None:
        # The receiver only appends; a copy of the list is a consistent snapshot.
        new = list(self.receiver.notifications)[self._seen :]
        self._seen += len(new)
        for path, payload in new:
            for line in describe(path, payload):
                self.out(line)
