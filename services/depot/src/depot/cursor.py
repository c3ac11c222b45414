"""Opaque pagination cursors.

A cursor only carries the last id the client saw. The query it resumes is always scoped
to the caller's tenant on the server side, so a forged cursor can at most skip within
the caller's own documents; anything that does not decode to a valid id is a 400.
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from depot.models import ULID_PATTERN

_ULID = re.compile(ULID_PATTERN)
_VERSION = 1
MAX_CURSOR_LENGTH = 256


class InvalidCursorError(ValueError):
    pass


def encode_cursor(after_id: str) -> str:
    raw = json.dumps({"v": _VERSION, "after": after_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursorError("cursor is too long")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (binascii.Error, ValueError, UnicodeError) as exc:
        raise InvalidCursorError("cursor is not one this API issued") from exc
    if not isinstance(payload, dict) or payload.get("v") != _VERSION:
        raise InvalidCursorError("cursor is not one this API issued")
    after = payload.get("after")
    if not isinstance(after, str) or not _ULID.match(after):
        raise InvalidCursorError("cursor is not one this API issued")
    return after
