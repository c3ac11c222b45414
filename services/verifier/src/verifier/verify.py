"""One ObjectCreated event, start to verdict; the answer tells the worker what to do with
the message (Outcome -> Action)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from service_runtime.logs import get_logger

from verifier.events import ObjectCreated
from verifier.keys import parse_key
from verifier.store import Store
from verifier.verdict import judge

log = get_logger("verifier.verify")

Outcome = Literal[
    "verified",  # verdict written: the object is what depot recorded
    "mismatch",  # verdict written: it is not
    "unchanged",  # the record already holds a verdict for this or a later version
    "superseded",  # the record points at a later upload: nothing to say about this one
    "gone",  # record or object deleted: nothing left to verify
    "not_committed",  # depot has not pointed its record at the object yet
    "foreign",  # not depot's bucket or key layout (a poison message)
]
# What the worker does with the message after each outcome.
DONE: frozenset[Outcome] = frozenset({"verified", "mismatch", "unchanged", "superseded", "gone"})
RETRY: frozenset[Outcome] = frozenset({"not_committed", "foreign"})


class Verifier:
    def __init__(
        self, store: Store, bucket: str, prefix: str, clock: Callable[[], datetime]
    ) -> None:
        self._store = store
        self._bucket = bucket
        self._prefix = prefix
        self._clock = clock

    async def verify(self, event: ObjectCreated) -> Outcome:
        parts = parse_key(self._prefix, event.key)
        if event.bucket != self._bucket or parts is None:
            return "foreign"
        record = await self._store.record(parts.tenant, parts.document)
        if record is None:
            return "gone"
        if record.content_key != event.key:
            current = parse_key(self._prefix, record.content_key or "")
            if current is not None and current.upload > parts.upload:
                return "superseded"
            return "not_committed"
        log.info("reading object", object_key=event.key)
        observed = await self._store.observe(event.bucket, event.key)
        if observed is None:
            return "gone"
        verdict = judge(record, observed)
        # The upload id orders replacements, the sequence orders writes to one key.
        version = f"{parts.upload}|{event.sequence}"
        written = await self._store.record_verdict(
            parts.tenant, parts.document, event.key, version, verdict, self._clock()
        )
        if not written:
            return "unchanged"
        if verdict.status == "mismatch":
            log.warning(
                "object does not match its record", object_key=event.key, reason=verdict.reason
            )
        return verdict.status
