"""The S3 event notification a message carries, parsed strictly.

The message structure is AWS's ("Event message structure", S3 user guide): a JSON
object with `Records`, each naming the bucket, the URL-encoded key, the size and a
`sequencer`. Writing a bucket's notification configuration also sends one
`s3:TestEvent` message, which carries no record. Anything else is a poison message:
it cannot become valid by being received again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

# A sequencer is hexadecimal of varying length; AWS: right-pad the shorter one with
# zeros, then compare as strings. Padded to a fixed width here, so DynamoDB compares them.
SEQUENCER_WIDTH = 32
_HEX = frozenset("0123456789abcdefABCDEF")


class PoisonMessageError(ValueError):
    """The message is not an S3 event this worker can act on."""


@dataclass(frozen=True)
class ObjectCreated:
    bucket: str
    key: str
    size: int
    # Orders the events of one key: the padded sequencer (or, without one, the event time).
    sequence: str


def _sequence(record: dict[str, Any], obj: dict[str, Any]) -> str:
    sequencer = obj.get("sequencer")
    if isinstance(sequencer, str) and sequencer:
        if len(sequencer) > SEQUENCER_WIDTH or not all(
            c in "0123456789abcdefABCDEF" for c in sequencer
        ):
            raise PoisonMessageError("sequencer is not hexadecimal of at most 32 digits")
        return "S" + sequencer.upper().ljust(SEQUENCER_WIDTH, "0")
    # AWS always sends a sequencer for ObjectCreated; the local emulator does not
    # (docs/stand-ins.md), so its events are ordered by their millisecond event time.
    event_time = record.get("eventTime")
    if not isinstance(event_time, str) or not event_time:
        raise PoisonMessageError("record has neither sequencer nor eventTime")
    return "T" + event_time


def parse(body: str) -> list[ObjectCreated]:
    """The ObjectCreated records of a message body ([] for S3's test event)."""
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise PoisonMessageError("body is not JSON") from exc
    if not isinstance(document, dict):
        raise PoisonMessageError("body is not a JSON object")
    if document.get("Event") == "s3:TestEvent":
        return []
    records = document.get("Records")
    if not isinstance(records, list) or not records:
        raise PoisonMessageError("no Records")
    events = []
    for record in records:
        try:
            name = record["eventName"]
            s3 = record["s3"]
            bucket = s3["bucket"]["name"]
            obj = s3["object"]
            key = unquote_plus(obj["key"])
            size = int(obj.get("size", 0))
        except (KeyError, TypeError, ValueError) as exc:
            raise PoisonMessageError(f"malformed record: {exc!r}") from exc
        if not isinstance(name, str) or not name.startswith("ObjectCreated:"):
            raise PoisonMessageError(f"not an ObjectCreated event: {name!r}")
        if not isinstance(bucket, str) or not key:
            raise PoisonMessageError("record without bucket or key")
        events.append(ObjectCreated(bucket, key, size, _sequence(record, obj)))
    return events
