"""API keys: the secret's format, key generation, and the in-memory key set.

The service only ever holds SHA-256 hashes of keys. The secret (JSON) is re-read on an
interval, so a key added to it works within one interval and a removed key stops
working within one interval, with no restart.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import BaseModel, Field

KEY_PREFIX = "dpt_"
# What a key looks like in any text: the logs redact it wherever it appears.
KEY_PATTERN = re.compile(r"dpt_[A-Za-z0-9_-]{20,}")
TENANT_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"


class KeyEntry(BaseModel):
    id: str = Field(pattern=r"^key_[0-9A-Z]{26}$")
    tenant: str = Field(pattern=TENANT_PATTERN)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    created_at: datetime
    label: str = Field("", max_length=128)


class KeySetDocument(BaseModel):
    """The secret's JSON value."""

    keys: list[KeyEntry] = Field(default_factory=list)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def now_utc() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Principal:
    tenant: str
    key_id: str


class KeySet:
    """Lookups by hash; replaced wholesale on each refresh (no partial states)."""

    def __init__(self, document: KeySetDocument | None = None) -> None:
        entries = document.keys if document else []
        self._by_hash = {entry.sha256: Principal(entry.tenant, entry.id) for entry in entries}

    def __len__(self) -> int:
        return len(self._by_hash)

    def authenticate(self, presented_key: str) -> Principal | None:
        # Comparing SHA-256 digests through a dict lookup does not leak the key through
        # timing: the digest of a guess says nothing useful about the real key.
        return self._by_hash.get(hash_key(presented_key))
