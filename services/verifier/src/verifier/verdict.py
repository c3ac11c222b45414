"""The verdict on one object: what depot recorded against what S3 now holds.

Pure: the worker reads the record and the object, this decides. A verdict is `verified`
only when size, SHA-256 and the real type all agree with the record; otherwise
`mismatch`, with the first disagreement as the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from verifier.sniff import type_conflict

Status = Literal["verified", "mismatch"]


@dataclass(frozen=True)
class Record:
    """The fields of depot's document record the worker may read (read_attributes)."""

    content_key: str | None
    size: int | None
    sha256: str | None
    content_type: str


@dataclass(frozen=True)
class Observed:
    size: int
    sha256: str
    head: bytes


@dataclass(frozen=True)
class Verdict:
    status: Status
    reason: str | None = None


def judge(record: Record, observed: Observed) -> Verdict:
    if record.size != observed.size:
        return Verdict("mismatch", f"size: recorded {record.size}, stored {observed.size}")
    if record.sha256 != observed.sha256:
        return Verdict("mismatch", "sha256 differs from the recorded digest")
    conflict = type_conflict(record.content_type, observed.head)
    if conflict is not None:
        return Verdict("mismatch", f"content_type: {conflict}")
    return Verdict("verified")
