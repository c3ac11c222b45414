"""Document workflows. Routes call these and only translate HTTP around them."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import anyio
from botocore.exceptions import ClientError
from service_runtime.aws import DependencyError
from ulid import ULID

from depot.repository import (
    CreateConflictError,
    DocumentRepository,
    IdempotencyStore,
    StoredDocument,
    VersionConflictError,
    utc_now,
)
from depot.storage import ContentStore

# Evaluated against the stored document; raises (the route's HTTP precondition rule).
Precondition = Callable[[StoredDocument], None]


class DocumentNotFoundError(Exception):
    """No such document for this tenant (never says whether another tenant has one)."""


class StaleDocumentError(Exception):
    """The document changed while this request was processed."""


class IdempotencyInFlightError(Exception):
    """Another request holds this Idempotency-Key and has not finished."""


class QuotaExceededError(Exception):
    """Storing this content would take the tenant past its storage quota."""

    def __init__(self, used: int, quota: int) -> None:
        super().__init__(f"{used} of {quota} bytes used")
        self.used = used
        self.quota = quota


class IdempotencyKeyReusedError(Exception):
    """The Idempotency-Key was used before with a different request body."""


@dataclass(frozen=True)
class CreateOutcome:
    payload: dict[str, Any]
    replayed: bool


@dataclass(frozen=True)
class ContentOutcome:
    document: StoredDocument
    created: bool  # the document had no content before: RFC 9110 §9.3.4 asks for 201


class DocumentService:
    def __init__(
        self,
        documents: DocumentRepository,
        idempotency: IdempotencyStore,
        content: ContentStore,
        quota_bytes: int = 0,
    ) -> None:
        self.documents = documents
        self.idempotency = idempotency
        self.content = content
        self.quota_bytes = quota_bytes  # per tenant; 0: unlimited

    async def load(self, tenant: str, doc_id: str) -> StoredDocument:
        document = await self.documents.get(tenant, doc_id)
        if document is None:
            raise DocumentNotFoundError(doc_id)
        return document

    # -- create ---------------------------------------------------------------------------

    async def create(
        self,
        tenant: str,
        name: str,
        content_type: str,
        metadata: dict[str, str],
        idempotency_key: str | None,
        fingerprint: str,
    ) -> CreateOutcome:
        owner = uuid.uuid4().hex
        if idempotency_key is not None:
            replay = await self._claim_or_replay(tenant, idempotency_key, fingerprint, owner)
            if replay is not None:
                return CreateOutcome(replay, replayed=True)
        now = utc_now()
        document = StoredDocument(
            tenant=tenant,
            id=str(ULID()),
            name=name,
            content_type=content_type,
            metadata=metadata,
            version=1,
            status="pending",
            created_at=now,
            updated_at=now,
        )
        payload = document.to_api().model_dump(mode="json")
        completes = (
            None
            if idempotency_key is None
            else self.idempotency.completion(tenant, idempotency_key, owner, payload)
        )
        try:
            await self.documents.create(document, completes)
        except (CreateConflictError, DependencyError) as exc:
            if _unanswered(exc):
                raise  # the claim stays in flight until its lease ends; see _unanswered
            # Uncertain or refused: the id is fresh, so if it is stored, the write was ours.
            stored = await self.documents.get(tenant, document.id)
            if stored is not None:
                return CreateOutcome(payload, replayed=False)
            if idempotency_key is not None:
                # Safe whatever happened: the transaction is conditioned on our in-flight
                # claim, so once released it can no longer apply; a completed record stays.
                await _shielded(self.idempotency.release(tenant, idempotency_key, owner))
            if isinstance(exc, CreateConflictError):
                raise IdempotencyInFlightError(idempotency_key) from exc
            raise
        except BaseException:
            if idempotency_key is not None:
                await _shielded(self.idempotency.release(tenant, idempotency_key, owner))
            raise
        return CreateOutcome(payload, replayed=False)

    async def _claim_or_replay(
        self, tenant: str, key: str, fingerprint: str, owner: str
    ) -> dict[str, Any] | None:
        """None when this request now holds the key; otherwise the stored answer."""
        for _ in range(2):  # a record can expire between the claim and the read: once more
            now = int(time.time())
            if await self.idempotency.claim(tenant, key, fingerprint, owner, now):
                return None
            record = await self.idempotency.get(tenant, key, now)
            if record is None:
                continue
            if record.fingerprint != fingerprint:
                raise IdempotencyKeyReusedError(key)
            if record.state == "in_flight" or record.response is None:
                raise IdempotencyInFlightError(key)
            return record.response
        raise IdempotencyInFlightError(key)

    # -- metadata -------------------------------------------------------------------------

    async def update_metadata(
        self,
        tenant: str,
        doc_id: str,
        precondition: Precondition,
        change: Callable[[StoredDocument], tuple[str, dict[str, str]]],
    ) -> StoredDocument:
        current = await self.load(tenant, doc_id)
        precondition(current)
        name, metadata = change(current)
        try:
            return await self.documents.update_metadata(current, name, metadata, utc_now())
        except (VersionConflictError, DependencyError) as exc:
            if _unanswered(exc):
                raise
            after = await self.documents.get(tenant, doc_id)
            if (
                after is not None
                and after.version == current.version + 1
                and after.name == name
                and after.metadata == metadata
            ):
                return after  # our update was applied; only its answer was lost
            if isinstance(exc, VersionConflictError):
                raise StaleDocumentError(doc_id) from exc
            raise

    # -- content --------------------------------------------------------------------------

    async def put_content(
        self,
        tenant: str,
        doc_id: str,
        precondition: Precondition,
        before_upload: Callable[[], None],
        chunks: AsyncIterator[bytes],
        expected_sha256: bytes | None,
        declared_bytes: int | None = None,
    ) -> ContentOutcome:
        current = await self.load(tenant, doc_id)
        precondition(current)
        before_upload()
        if self.quota_bytes:
            # A soft quota (docs/adr/0008): checked before the body is read, counted after
            # each confirmed commit and delete, recounted exactly by the reconciler.
            used = await self.documents.usage(tenant)
            incoming = declared_bytes or 0
            if used - (current.size or 0) + incoming > self.quota_bytes or used > self.quota_bytes:
                raise QuotaExceededError(used, self.quota_bytes)
        stored = await self.content.upload(
            self.content.new_key(tenant, doc_id), chunks, current.content_type, expected_sha256
        )
        try:
            updated = await self.documents.commit_content(
                current, stored.size, stored.sha256, stored.key, utc_now()
            )
        except (VersionConflictError, DependencyError) as exc:
            if _unanswered(exc):
                raise  # our object stays; the reconciler removes it if nothing points at it
            after = await self.documents.get(tenant, doc_id)
            if after is not None and after.content_key == stored.key:
                updated = after  # committed by an attempt whose answer was lost
            else:
                if after is None or after.version != current.version:
                    # Certain: the commit was conditioned on current.version, which can
                    # never come back, so nothing will ever point at our object.
                    await self.content.delete_quietly(stored.key)
                # Otherwise a commit may still be in flight: the reconciler decides later.
                if isinstance(exc, VersionConflictError):
                    raise StaleDocumentError(doc_id) from exc
                raise
        if current.content_key and current.content_key != updated.content_key:
            # Unreferenced since the commit; if this fails the reconciler removes it.
            await self.content.delete_quietly(current.content_key)
        await self._count(tenant, (updated.size or 0) - (current.size or 0))
        return ContentOutcome(updated, created=current.status == "pending")

    async def _count(self, tenant: str, delta: int) -> None:
        """Best effort: a missed update is corrected by the reconciler's recount."""
        if delta:
            with anyio.CancelScope(shield=True), contextlib.suppress(DependencyError, ClientError):
                await self.documents.add_usage(tenant, delta)

    # -- delete ---------------------------------------------------------------------------

    async def delete(self, tenant: str, doc_id: str, precondition: Precondition | None) -> None:
        """Without a precondition the delete is unconditional (never 412); with one, it
        applies only to the version the precondition accepted."""
        current = await self.load(tenant, doc_id)
        expected: int | None = None
        if precondition is not None:
            precondition(current)
            expected = current.version
        content_key, size = current.content_key, current.size
        try:
            deleted = await self.documents.delete(tenant, doc_id, expected)
            content_key, size = deleted.content_key, deleted.size
        except (VersionConflictError, DependencyError) as exc:
            if _unanswered(exc):
                raise
            after = await self.documents.get(tenant, doc_id)
            if after is not None:
                if isinstance(exc, VersionConflictError):
                    raise StaleDocumentError(doc_id) from exc
                raise
            # Gone: deleted by this request (an attempt whose answer was lost) or another.
        if content_key:
            await self.content.delete_quietly(content_key)
        await self._count(tenant, -(size or 0))


def _unanswered(exc: BaseException) -> bool:
    """The backend did not answer at all (timed out, unreachable, circuit open): a
    re-read now would wait as long again and past the request's time bound. The outcome
    is then left to the client's retry, which meets the same rules, and to the reconciler;
    nothing is deleted meanwhile."""
    return isinstance(exc, DependencyError) and exc.outcome in ("timeout", "unreachable")


async def _shielded(cleanup: Any) -> None:
    """Best-effort cleanup that a cancelled request still finishes; errors are not ours
    to report (the original one is)."""
    with anyio.CancelScope(shield=True), contextlib.suppress(DependencyError, ClientError):
        await cleanup
