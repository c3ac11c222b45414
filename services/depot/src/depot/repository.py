"""Document metadata and idempotency records in one DynamoDB table.

Keys (see docs/adr/0003-depot-data-model.md):
- document:     pk = TENANT#<tenant>, sk = DOC#<ulid>
- idempotency:  pk = TENANT#<tenant>, sk = IDEMPOTENCY#<sha256 of the key>, TTL `expires_at`
- pending docs also carry `pending_pk` = PENDING#<shard>, feeding the sparse GSI `pending`
  that the sweeper reads instead of scanning the table.

Every read that decides a write is strongly consistent; every write is conditional on
the version the caller saw (optimistic concurrency), so no update is ever lost.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError
from service_runtime.aws import DependencyError, is_conditional_failure

from depot.aws import Aws
from depot.models import UNVERIFIED, Document, Integrity

PENDING_INDEX = "pending"
PENDING_SHARDS = 8
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class VersionConflictError(Exception):
    """The document changed (or vanished) since the caller read it."""


class CreateConflictError(Exception):
    """A create's condition failed: the id exists, or the idempotency claim is not ours."""


@dataclass(frozen=True)
class IdempotencyCompletion:
    """What completing a claimed idempotency record needs: its key, owner and answer."""

    key: dict[str, str]
    owner: str
    response: dict[str, Any]


@dataclass(frozen=True)
class StoredDocument:
    tenant: str
    id: str
    name: str
    content_type: str
    metadata: dict[str, str]
    version: int
    status: Literal["pending", "available"]
    created_at: datetime
    updated_at: datetime
    size: int | None = None
    sha256: str | None = None
    content_key: str | None = None
    # The verifier's verdict attributes (services/verifier): its status, when, and which
    # object it judged.
    integrity: str | None = None
    integrity_checked_at: datetime | None = None
    integrity_key: str | None = None

    def integrity_view(self) -> Integrity:
        """The verdict, only when it is about the current content (a replacement makes
        the previous verdict moot until the new object is checked)."""
        if (
            self.content_key is None
            or self.integrity_key != self.content_key
            or self.integrity not in ("verified", "mismatch")
        ):
            return UNVERIFIED
        return Integrity.model_validate(
            {"status": self.integrity, "checked_at": self.integrity_checked_at}
        )

    def to_api(self) -> Document:
        return Document(
            id=self.id,
            name=self.name,
            content_type=self.content_type,
            size=self.size,
            sha256=self.sha256,
            metadata=self.metadata,
            version=self.version,
            status=self.status,
            created_at=self.created_at,
            updated_at=self.updated_at,
            integrity=self.integrity_view(),
        )


def tenant_pk(tenant: str) -> str:
    return f"TENANT#{tenant}"


def doc_sk(doc_id: str) -> str:
    return f"DOC#{doc_id}"


def pending_pk(doc_id: str) -> str:
    return f"PENDING#{int(hashlib.sha256(doc_id.encode()).hexdigest(), 16) % PENDING_SHARDS}"


def _usage_key(tenant: str) -> dict[str, str]:
    return {"pk": tenant_pk(tenant), "sk": "USAGE"}


def utc_now() -> datetime:
    """Now, at the millisecond precision stored, so a response equals a later read."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _serialize(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in item.items() if value is not None}


def _deserialize(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _deserializer.deserialize(value) for key, value in item.items()}


def _to_document(item: dict[str, Any]) -> StoredDocument:
    data = _deserialize(item)
    return StoredDocument(
        tenant=data["tenant"],
        id=data["id"],
        name=data["name"],
        content_type=data["content_type"],
        metadata={str(k): str(v) for k, v in data.get("metadata", {}).items()},
        version=int(data["version"]),
        status=data["status"],
        created_at=datetime.fromisoformat(data["created_at"]),
        updated_at=datetime.fromisoformat(data["updated_at"]),
        size=int(data["size"]) if "size" in data else None,
        sha256=data.get("sha256"),
        content_key=data.get("content_key"),
        integrity=data.get("integrity"),
        integrity_checked_at=(
            datetime.fromisoformat(data["integrity_checked_at"])
            if "integrity_checked_at" in data
            else None
        ),
        integrity_key=data.get("integrity_detail", {}).get("content_key"),
    )


class DocumentRepository:
    def __init__(self, aws: Aws, table_name: str) -> None:
        self._aws = aws
        self._table = table_name
        self._ddb = aws.dynamodb

    async def get(self, tenant: str, doc_id: str) -> StoredDocument | None:
        response = await self._aws.call(
            "dynamodb",
            "GetItem",
            lambda: self._ddb.get_item(
                TableName=self._table,
                Key=_serialize({"pk": tenant_pk(tenant), "sk": doc_sk(doc_id)}),
                ConsistentRead=True,
            ),
        )
        item = response.get("Item")
        return _to_document(item) if item else None

    async def create(
        self, document: StoredDocument, completes: IdempotencyCompletion | None = None
    ) -> None:
        """Put a new document; with `completes`, complete its idempotency record in the
        same DynamoDB transaction, so a stored document always has its stored answer.

        Raises CreateConflictError when a condition fails: the id exists (our own write,
        applied by an attempt whose answer was lost) or the idempotency claim is no longer
        ours. The caller re-reads to tell which.
        """
        item = {
            "pk": tenant_pk(document.tenant),
            "sk": doc_sk(document.id),
            "pending_pk": pending_pk(document.id),
            "tenant": document.tenant,
            "id": document.id,
            "name": document.name,
            "content_type": document.content_type,
            "metadata": document.metadata,
            "version": document.version,
            "status": document.status,
            "created_at": _timestamp(document.created_at),
            "updated_at": _timestamp(document.updated_at),
        }
        put = {
            "TableName": self._table,
            "Item": _serialize(item),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        try:
            if completes is None:
                await self._aws.call("dynamodb", "PutItem", lambda: self._ddb.put_item(**put))
                return
            update = {
                "TableName": self._table,
                "Key": _serialize(completes.key),
                "UpdateExpression": "SET #state = :completed, #response = :response",
                "ConditionExpression": "#owner = :owner AND #state = :in_flight",
                "ExpressionAttributeNames": {
                    "#state": "state",
                    "#response": "response",
                    "#owner": "owner",
                },
                "ExpressionAttributeValues": _serialize(
                    {
                        ":completed": "completed",
                        ":in_flight": "in_flight",
                        ":owner": completes.owner,
                        ":response": json.dumps(completes.response),
                    }
                ),
            }
            await self._aws.call(
                "dynamodb",
                "TransactWriteItems",
                lambda: self._ddb.transact_write_items(
                    TransactItems=[{"Put": put}, {"Update": update}]
                ),
            )
        except ClientError as exc:
            if is_conditional_failure(exc):
                raise CreateConflictError(document.id) from exc
            raise

    async def list_page(
        self, tenant: str, limit: int, after_id: str | None
    ) -> tuple[list[StoredDocument], bool]:
        """Newest first. Returns the page and whether more documents follow."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :doc)",
            "ExpressionAttributeValues": _serialize({":pk": tenant_pk(tenant), ":doc": "DOC#"}),
            "ScanIndexForward": False,
            # One more than asked: tells whether a next page exists without an empty last page.
            "Limit": limit + 1,
            "ConsistentRead": True,
        }
        if after_id is not None:
            request["ExclusiveStartKey"] = _serialize(
                {"pk": tenant_pk(tenant), "sk": doc_sk(after_id)}
            )
        response = await self._aws.call("dynamodb", "Query", lambda: self._ddb.query(**request))
        documents = [_to_document(item) for item in response.get("Items", [])]
        return documents[:limit], len(documents) > limit

    async def update_metadata(
        self, current: StoredDocument, name: str, metadata: dict[str, str], now: datetime
    ) -> StoredDocument:
        return await self._update(
            current,
            "SET #name = :name, #metadata = :metadata",
            {":name": name, ":metadata": metadata, ":now": _timestamp(now)},
            {"#name": "name", "#metadata": "metadata"},
        )

    async def commit_content(
        self, current: StoredDocument, size: int, sha256: str, content_key: str, now: datetime
    ) -> StoredDocument:
        return await self._update(
            current,
            "SET #status = :available, #size = :size, #sha256 = :sha, #content_key = :key "
            "REMOVE #pending_pk",
            {
                ":available": "available",
                ":size": size,
                ":sha": sha256,
                ":key": content_key,
                ":now": _timestamp(now),
            },
            {
                "#status": "status",
                "#size": "size",
                "#sha256": "sha256",
                "#content_key": "content_key",
                "#pending_pk": "pending_pk",
            },
        )

    async def _update(
        self,
        current: StoredDocument,
        expression: str,
        values: dict[str, Any],
        names: dict[str, str],
    ) -> StoredDocument:
        """Apply `expression` if the stored version is still the caller's; bump the version.

        Every attribute goes through a name placeholder: DynamoDB reserves hundreds of
        words (name, size, status, …), and an unaliased one fails at run time.
        """
        key = {"pk": tenant_pk(current.tenant), "sk": doc_sk(current.id)}
        all_values = {**values, ":expected": current.version, ":next": current.version + 1}
        all_names = {**names, "#version": "version", "#updated_at": "updated_at"}
        set_clause, _, remove_clause = expression.partition(" REMOVE ")
        expression = f"{set_clause}, #version = :next, #updated_at = :now" + (
            f" REMOVE {remove_clause}" if remove_clause else ""
        )

        try:
            response = await self._aws.call(
                "dynamodb",
                "UpdateItem",
                lambda: self._ddb.update_item(
                    TableName=self._table,
                    Key=_serialize(key),
                    UpdateExpression=expression,
                    ConditionExpression="#version = :expected",
                    ExpressionAttributeValues=_serialize(all_values),
                    ExpressionAttributeNames=all_names,
                    ReturnValues="ALL_NEW",
                ),
            )
        except ClientError as exc:
            if is_conditional_failure(exc):
                raise VersionConflictError(current.id) from exc
            raise
        return _to_document(response["Attributes"])

    async def delete(
        self, tenant: str, doc_id: str, expected_version: int | None
    ) -> StoredDocument:
        """Delete the document (at `expected_version` when given); returns what was deleted.

        Raises VersionConflictError when it is absent or at another version: an attempt
        whose answer was lost may have deleted it already, so callers re-read.
        """
        condition = "attribute_exists(pk)"
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        if expected_version is not None:
            condition += " AND #version = :expected"
            names["#version"] = "version"
            values[":expected"] = expected_version
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": _serialize({"pk": tenant_pk(tenant), "sk": doc_sk(doc_id)}),
            "ConditionExpression": condition,
            "ReturnValues": "ALL_OLD",
        }
        if names:
            request["ExpressionAttributeNames"] = names
            request["ExpressionAttributeValues"] = _serialize(values)
        try:
            response = await self._aws.call(
                "dynamodb", "DeleteItem", lambda: self._ddb.delete_item(**request)
            )
        except ClientError as exc:
            if is_conditional_failure(exc):
                raise VersionConflictError(doc_id) from exc
            raise
        return _to_document(response["Attributes"])

    async def pending_before(
        self, cutoff_id: str, page_size: int = 100, max_pages: int = 1000
    ) -> AsyncIterator[tuple[str, str]]:
        """(tenant, id) of pending documents created before the document id `cutoff_id`,
        every page of every shard (LastEvaluatedKey followed, bounded by `max_pages`)."""
        for shard in range(PENDING_SHARDS):
            start: dict[str, Any] | None = None
            for _ in range(max_pages):
                request: dict[str, Any] = {
                    "TableName": self._table,
                    "IndexName": PENDING_INDEX,
                    "KeyConditionExpression": "pending_pk = :shard AND sk < :cutoff",
                    "ExpressionAttributeValues": _serialize(
                        {":shard": f"PENDING#{shard}", ":cutoff": doc_sk(cutoff_id)}
                    ),
                    "Limit": page_size,
                }
                if start is not None:
                    request["ExclusiveStartKey"] = start
                response = await self._aws.call(
                    "dynamodb",
                    "Query",
                    lambda request=request: self._ddb.query(**request),  # type: ignore[misc]
                )
                for item in response.get("Items", []):
                    data = _deserialize(item)
                    yield (str(data["pk"]).removeprefix("TENANT#"),
                           str(data["sk"]).removeprefix("DOC#"))  # fmt: skip
                start = response.get("LastEvaluatedKey")
                if not start:
                    break

    async def usage(self, tenant: str) -> int:
        """Bytes of content the tenant stores, as last counted (docs/adr/0008)."""
        response = await self._aws.call(
            "dynamodb",
            "GetItem",
            lambda: self._ddb.get_item(
                TableName=self._table, Key=_serialize(_usage_key(tenant)), ConsistentRead=True
            ),
        )
        item = response.get("Item")
        return int(_deserialize(item).get("bytes", 0)) if item else 0

    async def add_usage(self, tenant: str, delta: int) -> None:
        await self._aws.call(
            "dynamodb",
            "UpdateItem",
            lambda: self._ddb.update_item(
                TableName=self._table,
                Key=_serialize(_usage_key(tenant)),
                UpdateExpression="ADD #bytes :delta",
                ExpressionAttributeNames={"#bytes": "bytes"},
                ExpressionAttributeValues=_serialize({":delta": delta}),
            ),
        )

    async def set_usage(self, tenant: str, total: int) -> None:
        """The reconciler's exact count replaces whatever drift the counter gathered."""
        await self._aws.call(
            "dynamodb",
            "PutItem",
            lambda: self._ddb.put_item(
                TableName=self._table, Item=_serialize({**_usage_key(tenant), "bytes": total})
            ),
        )

    async def probe(self) -> None:
        """A cheap data-plane read (0.5 RCU) that proves the table answers."""
        await self._aws.call(
            "dynamodb",
            "GetItem",
            lambda: self._ddb.get_item(
                TableName=self._table, Key=_serialize({"pk": "HEALTH", "sk": "HEALTH"})
            ),
        )


@dataclass(frozen=True)
class IdempotencyRecord:
    fingerprint: str
    owner: str
    state: Literal["in_flight", "completed"]
    response: dict[str, Any] | None
    expires_at: int
    lease_until: int


class IdempotencyStore:
    """Remembers POST outcomes per (tenant, Idempotency-Key).

    A claim is a conditional put that wins only when no live record exists (absent,
    past its TTL, or an in-flight claim whose holder died and whose lease ran out).
    DynamoDB deletes expired items only eventually, so expiry is also checked here.
    """

    def __init__(self, aws: Aws, table_name: str, ttl_seconds: int, lease_seconds: int) -> None:
        self._aws = aws
        self._table = table_name
        self._ttl = ttl_seconds
        self._lease = lease_seconds
        self._ddb = aws.dynamodb

    @staticmethod
    def _key(tenant: str, idempotency_key: str) -> dict[str, Any]:
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()
        return {"pk": tenant_pk(tenant), "sk": f"IDEMPOTENCY#{digest}"}

    @classmethod
    def completion(
        cls, tenant: str, idempotency_key: str, owner: str, response: dict[str, Any]
    ) -> IdempotencyCompletion:
        return IdempotencyCompletion(cls._key(tenant, idempotency_key), owner, response)

    async def claim(
        self, tenant: str, idempotency_key: str, fingerprint: str, owner: str, now: int
    ) -> bool:
        """True when `owner` holds the key now, including when an earlier attempt of this
        same put was applied and only its answer was lost (the condition then fails on
        our own record: recognised by the owner token, not refused)."""
        item = {
            **self._key(tenant, idempotency_key),
            "state": "in_flight",
            "fingerprint": fingerprint,
            "owner": owner,
            "expires_at": now + self._ttl,
            "lease_until": now + self._lease,
        }

        try:
            await self._aws.call(
                "dynamodb",
                "PutItem",
                lambda: self._ddb.put_item(
                    TableName=self._table,
                    Item=_serialize(item),
                    ConditionExpression=(
                        "attribute_not_exists(pk) OR expires_at < :now "
                        "OR (#state = :in_flight AND lease_until < :now)"
                    ),
                    ExpressionAttributeNames={"#state": "state"},
                    ExpressionAttributeValues=_serialize({":now": now, ":in_flight": "in_flight"}),
                ),
            )
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
            record = await self.get(tenant, idempotency_key, now)
            return record is not None and record.owner == owner and record.state == "in_flight"
        except DependencyError as exc:
            if exc.outcome in ("timeout", "unreachable"):
                raise  # unanswered: a re-read would wait as long again (ADR 0006)
            # Unknown outcome: our put may have landed. Re-read; if it did, we hold the key.
            record = await self.get(tenant, idempotency_key, now)
            if record is not None and record.owner == owner and record.state == "in_flight":
                return True
            raise
        return True

    async def get(self, tenant: str, idempotency_key: str, now: int) -> IdempotencyRecord | None:
        response = await self._aws.call(
            "dynamodb",
            "GetItem",
            lambda: self._ddb.get_item(
                TableName=self._table,
                Key=_serialize(self._key(tenant, idempotency_key)),
                ConsistentRead=True,
            ),
        )
        item = response.get("Item")
        if not item:
            return None
        data = _deserialize(item)
        if int(data["expires_at"]) < now:
            return None
        return IdempotencyRecord(
            fingerprint=str(data["fingerprint"]),
            owner=str(data.get("owner", "")),
            state=data["state"],
            response=json.loads(data["response"]) if "response" in data else None,
            expires_at=int(data["expires_at"]),
            lease_until=int(data["lease_until"]),
        )

    async def release(self, tenant: str, idempotency_key: str, owner: str) -> None:
        """Give up our claim, only while it is still ours and still in flight: a completed
        record (a create applied though its answer was lost) must survive."""
        try:
            await self._aws.call(
                "dynamodb",
                "DeleteItem",
                lambda: self._ddb.delete_item(
                    TableName=self._table,
                    Key=_serialize(self._key(tenant, idempotency_key)),
                    ConditionExpression="#owner = :owner AND #state = :in_flight",
                    ExpressionAttributeNames={"#owner": "owner", "#state": "state"},
                    ExpressionAttributeValues=_serialize(
                        {":owner": owner, ":in_flight": "in_flight"}
                    ),
                ),
            )
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
