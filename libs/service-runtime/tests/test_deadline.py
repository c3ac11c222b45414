"""One deadline per request: queue waits count against it."""

from __future__ import annotations

import time

from service_runtime.deadline import remaining, request_deadline


def test_outside_a_request_the_default_applies() -> None:
    assert remaining(7.0) == 7.0


def test_inside_a_request_time_spent_counts() -> None:
    with request_deadline(0.5):
        first = remaining(7.0)
        time.sleep(0.05)
        assert remaining(7.0) < first <= 0.5
    assert remaining(7.0) == 7.0  # reset when the request ends
