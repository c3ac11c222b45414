"""depot's object key layout, read backwards: `<prefix>/<tenant>/<document>/<upload id>`
(services/depot/src/depot/storage.py). The upload id is a ULID, so of two uploads of one
document the later one has the greater id: that orders verdicts across replacements."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ULID = r"[0-9A-HJKMNP-TV-Z]{26}"


@dataclass(frozen=True)
class ObjectKey:
    tenant: str
    document: str
    upload: str


def parse_key(prefix: str, key: str) -> ObjectKey | None:
    """The parts of a depot content key, or None when the key is not one."""
    match = re.fullmatch(rf"{re.escape(prefix)}/([^/]+)/([^/]+)/({_ULID})", key)
    if match is None:
        return None
    return ObjectKey(match.group(1), match.group(2), match.group(3))
