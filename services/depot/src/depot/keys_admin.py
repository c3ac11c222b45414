"""Key management against the Secrets Manager secret: hashes in, keys shown once.

Keys are issued and rotated here, not in Terraform (Terraform ignores the secret's
value), so rotation never needs an infrastructure change. Rotation is overlap: a new key
is added, clients move to it, the old one is revoked. Secrets Manager has no conditional
write, so two administrators editing at the same instant could lose one edit: run key
changes from one place (a person or a pipeline), and check with `keys list`.
"""

from __future__ import annotations

from typing import Any

from ulid import ULID

from depot.keys import KeyEntry, KeySetDocument, generate_key, hash_key, now_utc


class KeyAdmin:
    def __init__(self, secretsmanager: Any, secret_id: str) -> None:
        self._client = secretsmanager
        self._secret_id = secret_id

    def read(self) -> KeySetDocument:
        value = self._client.get_secret_value(SecretId=self._secret_id)["SecretString"]
        return KeySetDocument.model_validate_json(value)

    def _write(self, document: KeySetDocument) -> None:
        self._client.put_secret_value(
            SecretId=self._secret_id, SecretString=document.model_dump_json()
        )

    def issue(self, tenant: str, label: str = "") -> tuple[KeyEntry, str]:
        """Add a new key for `tenant`; returns the entry and the key itself (shown once)."""
        key = generate_key()
        return self.register(tenant, key, label), key

    def register(self, tenant: str, key: str, label: str = "") -> KeyEntry:
        """Add the hash of a key chosen elsewhere (e.g. a fixed local development key)."""
        entry = KeyEntry(
            id=f"key_{ULID()}", tenant=tenant, sha256=hash_key(key), created_at=now_utc(),
            label=label,
        )  # fmt: skip
        document = self.read()
        document.keys.append(entry)
        self._write(document)
        return entry

    def revoke(self, key_id: str) -> KeyEntry:
        document = self.read()
        matching = [entry for entry in document.keys if entry.id == key_id]
        if not matching:
            raise LookupError(f"no key with id {key_id!r}; see `depot keys list`")
        document.keys = [entry for entry in document.keys if entry.id != key_id]
        self._write(document)
        return matching[0]

    def list(self) -> list[KeyEntry]:
        return self.read().keys
