"""One deadline per request, and the error for a process at capacity.

Time spent queueing for a backend's worker slot counts against the request's deadline,
so a quick read never waits behind slow work for longer than the deadline; past it the
client gets a fast 503 with `Retry-After` (problems.overloaded) instead of a queue.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterator
from contextlib import contextmanager

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "service_runtime_deadline", default=None
)


class OverloadedError(Exception):
    """This process is at capacity for `resource`; the client should retry later."""

    def __init__(self, resource: str) -> None:
        super().__init__(f"at capacity: {resource}")
        self.resource = resource


@contextmanager
def request_deadline(seconds: float) -> Iterator[None]:
    """Every queue wait inside counts against one deadline `seconds` from now."""
    reset = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(reset)


def remaining(default: float) -> float:
    """Seconds left before this request's deadline (`default` outside a request)."""
    deadline = _deadline.get()
    return default if deadline is None else deadline - time.monotonic()
