"""What the worker reads and writes: the object in S3, the fields of depot's record it
compares, and the verdict attributes, written conditionally.

The record's key and attribute names are depot's (services/depot/src/depot/repository.py);
the worker reads only `read_attributes` and writes only `verdict_attributes` of the
environment's `event_services` entry (infra/live/*), which its IAM role enforces.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError
from service_runtime.aws import is_conditional_failure, is_missing

from verifier.aws import Aws
from verifier.sniff import HEAD_BYTES
from verifier.verdict import Observed, Record, Verdict

READ_ATTRIBUTES = ("size", "sha256", "content_key", "content_type")
VERDICT_ATTRIBUTES = ("integrity", "integrity_checked_at", "integrity_detail")
CHUNK_BYTES = 256 * 1024


def record_key(tenant: str, document: str) -> dict[str, Any]:
    return {"pk": {"S": f"TENANT#{tenant}"}, "sk": {"S": f"DOC#{document}"}}


def timestamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Store:
    def __init__(self, aws: Aws, table: str) -> None:
        self._aws = aws
        self._table = table

    async def record(self, tenant: str, document: str) -> Record | None:
        """The compared fields of the document's record, or None when it is gone."""
        response = await self._aws.call(
            "dynamodb",
            "GetItem",
            lambda: self._aws.dynamodb.get_item(
                TableName=self._table,
                Key=record_key(tenant, document),
                ConsistentRead=True,
                # Named attributes only: the role may not read the whole item.
                ProjectionExpression=", ".join(f"#{name}" for name in READ_ATTRIBUTES),
                ExpressionAttributeNames={f"#{name}": name for name in READ_ATTRIBUTES},
            ),
        )
        item = response.get("Item")
        if not item or "content_type" not in item:
            return None
        return Record(
            content_key=item["content_key"]["S"] if "content_key" in item else None,
            size=int(item["size"]["N"]) if "size" in item else None,
            sha256=item["sha256"]["S"] if "sha256" in item else None,
            content_type=item["content_type"]["S"],
        )

    async def observe(self, bucket: str, key: str) -> Observed | None:
        """Size, SHA-256 and first bytes of the object as S3 holds it now, streamed (memory
        stays one chunk), or None when it is gone."""
        try:
            response = await self._aws.call(
                "s3", "GetObject", lambda: self._aws.s3.get_object(Bucket=bucket, Key=key)
            )
        except ClientError as exc:
            if is_missing(exc):
                return None
            raise

        def digest() -> Observed:
            sha = hashlib.sha256()
            head = b""
            size = 0
            for chunk in response["Body"].iter_chunks(CHUNK_BYTES):
                if len(head) < HEAD_BYTES:
                    head += chunk[: HEAD_BYTES - len(head)]
                sha.update(chunk)
                size += len(chunk)
            return Observed(size=size, sha256=sha.hexdigest(), head=head)

        return await self._aws.run(digest, "transfer", "s3")

    async def record_verdict(
        self,
        tenant: str,
        document: str,
        content_key: str,
        version: str,
        verdict: Verdict,
        checked_at: datetime,
    ) -> bool:
        """Write the verdict unless the record is gone or already holds one for this or a
        later version (`version` orders them). True when written; False when the condition
        kept what was there (a redelivery, or a newer verdict)."""
        detail: dict[str, Any] = {
            "version": {"S": version},
            "content_key": {"S": content_key},
        }
        if verdict.reason is not None:
            detail["reason"] = {"S": verdict.reason}
        try:
            await self._aws.call(
                "dynamodb",
                "UpdateItem",
                lambda: self._aws.dynamodb.update_item(
                    TableName=self._table,
                    Key=record_key(tenant, document),
                    UpdateExpression="SET #integrity = :status, #checked = :at, #detail = :detail",
                    # Only key and verdict attributes appear: the role may touch no other.
                    ConditionExpression=(
                        "attribute_exists(#pk) AND (attribute_not_exists(#detail) "
                        "OR #detail.#version < :version)"
                    ),
                    ExpressionAttributeNames={
                        "#pk": "pk",
                        "#integrity": "integrity",
                        "#checked": "integrity_checked_at",
                        "#detail": "integrity_detail",
                        "#version": "version",
                    },
                    ExpressionAttributeValues={
                        ":status": {"S": verdict.status},
                        ":at": {"S": timestamp(checked_at)},
                        ":detail": {"M": detail},
                        ":version": {"S": version},
                    },
                    ReturnValues="NONE",
                ),
            )
        except ClientError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    async def probe(self) -> None:
        # A read the role allows (DescribeTable it does not): a record that never exists.
        await self._aws.call(
            "dynamodb",
            "GetItem",
            lambda: self._aws.dynamodb.get_item(
                TableName=self._table,
                Key={"pk": {"S": "PROBE#verifier"}, "sk": {"S": "PROBE"}},
                ProjectionExpression="#t",
                ExpressionAttributeNames={"#t": "content_type"},
            ),
        )
