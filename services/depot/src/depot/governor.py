"""The resource governor: what one process may hold at once, so load gets a fast 503
with `Retry-After` instead of an OOM kill or an unbounded queue.

- Upload slots: each content upload buffers up to ~2 multipart parts; the number of
  uploads in progress is capped from the memory limit, and a request beyond it is refused
  at once (503 `overloaded`), before its body is read.
- A request deadline (service_runtime.deadline): time spent queueing for a backend's
  worker slot counts against it, so a metadata read never waits behind transfers for
  longer than the deadline.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio
from service_runtime.deadline import OverloadedError

# Where cgroup v2 and v1 state the container's memory limit.
_CGROUP_LIMITS = (
    Path("/sys/fs/cgroup/memory.max"),
    Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
)
# Buffered bytes per upload, in parts: the part being filled, its copy in flight to S3,
# and what botocore and the socket hold around it.
PARTS_PER_UPLOAD = 3
DEFAULT_SLOTS_WITHOUT_LIMIT = 32


def memory_limit_bytes(configured: int | None) -> int | None:
    """The configured limit, else the cgroup's; None when there is none."""
    if configured:
        return configured
    for path in _CGROUP_LIMITS:
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 60:  # v1 reports "no limit" as ~2^63
            return int(text)
    return None


def upload_slots(
    configured: int, limit_bytes: int | None, reserved_bytes: int, part_bytes: int
) -> int:
    """Uploads allowed at once: configured, or what the memory left after the process's
    own footprint (`reserved_bytes`) holds at PARTS_PER_UPLOAD parts each."""
    if configured > 0:
        return configured
    if limit_bytes is None:
        return DEFAULT_SLOTS_WITHOUT_LIMIT
    return max(1, (limit_bytes - reserved_bytes) // (PARTS_PER_UPLOAD * part_bytes))


class UploadSlots:
    def __init__(self, slots: int) -> None:
        self.total = slots
        self._limiter = anyio.CapacityLimiter(slots)

    @property
    def in_use(self) -> int:
        return int(self._limiter.borrowed_tokens)

    @contextmanager
    def hold(self) -> Iterator[None]:
        """One slot for the duration, or OverloadedError at once when none is free."""
        token = object()
        try:
            self._limiter.acquire_on_behalf_of_nowait(token)
        except anyio.WouldBlock:
            raise OverloadedError("upload slots") from None
        try:
            yield
        finally:
            self._limiter.release_on_behalf_of(token)
