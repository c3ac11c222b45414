"""Document content in S3: streamed in, verified, then published; streamed out.

Every upload writes a new object key (`<prefix>/<tenant>/<document>/<upload id>`) that
no reader knows until the metadata commit points at it. So an upload that fails its
digest, is too large, too slow or interrupted never leaves anything readable, and a
replacement swaps atomically. Memory per upload is bounded by one multipart part.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import anyio
from botocore.exceptions import ClientError
from service_runtime.aws import DependencyError, is_missing
from ulid import ULID

from depot.aws import Aws

STREAM_CHUNK_BYTES = 256 * 1024


class DigestMismatchError(Exception):
    pass


class ContentTooLargeError(Exception):
    pass


@dataclass(frozen=True)
class StoredContent:
    key: str
    size: int
    sha256: str


class ContentStore:
    def __init__(
        self,
        aws: Aws,
        bucket: str,
        prefix: str,
        part_bytes: int,
        max_bytes: int,
        kms_key_id: str | None,
    ) -> None:
        self._aws = aws
        self._s3 = aws.s3
        self._bucket = bucket
        self._prefix = prefix
        self._part_bytes = part_bytes
        self._max_bytes = max_bytes
        self._encryption: dict[str, str] = (
            {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id} if kms_key_id else {}
        )

    def document_prefix(self, tenant: str, doc_id: str) -> str:
        return f"{self._prefix}/{tenant}/{doc_id}/"

    def new_key(self, tenant: str, doc_id: str) -> str:
        return f"{self.document_prefix(tenant, doc_id)}{ULID()}"

    async def upload(
        self,
        key: str,
        chunks: AsyncIterator[bytes],
        content_type: str,
        expected_sha256: bytes | None,
    ) -> StoredContent:
        """Stream `chunks` to `key`; raise before publishing anything if checks fail."""
        digest = hashlib.sha256()
        buffer = bytearray()
        size = 0
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []
        try:
            async for chunk in chunks:
                size += len(chunk)
                if size > self._max_bytes:
                    raise ContentTooLargeError(size)
                buffer += chunk
                while len(buffer) >= self._part_bytes:
                    if upload_id is None:
                        upload_id = await self._start_multipart(key, content_type)
                    with memoryview(buffer) as view:  # one copy, not two (slice + bytes)
                        part = bytes(view[: self._part_bytes])
                    del buffer[: self._part_bytes]
                    parts.append(
                        await self._upload_part(key, upload_id, len(parts) + 1, part, digest)
                    )
            if buffer:
                # Hashed in a worker like the parts: hashlib releases the GIL on large
                # buffers, so the event loop keeps serving other requests meanwhile.
                await self._aws.run(lambda: digest.update(buffer))
            if expected_sha256 is not None and digest.digest() != expected_sha256:
                raise DigestMismatchError(digest.hexdigest())
            if upload_id is None:
                await self._put(key, bytes(buffer), content_type, digest.digest())
            else:
                if buffer:
                    parts.append(
                        await self._upload_part(key, upload_id, len(parts) + 1, bytes(buffer))
                    )
                await self._complete(key, upload_id, parts)
                upload_id = None
        except BaseException:
            if upload_id is not None:
                # Shielded: a cancelled request (client gone, deadline) still aborts.
                with anyio.CancelScope(shield=True):
                    await self._abort_quietly(key, upload_id)
            raise
        return StoredContent(key=key, size=size, sha256=digest.hexdigest())

    async def _put(self, key: str, body: bytes, content_type: str, sha256: bytes) -> None:
        # The whole body is this one object: its running digest is the checksum (no
        # second pass over the bytes).
        checksum = base64.b64encode(sha256).decode()
        await self._aws.call(
            "s3",
            "PutObject",
            lambda: self._s3.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=body,
                ContentType=content_type,
                ChecksumSHA256=checksum,
                **self._encryption,
            ),
        )

    async def _start_multipart(self, key: str, content_type: str) -> str:
        response = await self._aws.call(
            "s3",
            "CreateMultipartUpload",
            lambda: self._s3.create_multipart_upload(
                Bucket=self._bucket, Key=key, ContentType=content_type, **self._encryption
            ),
        )
        return str(response["UploadId"])

    async def _upload_part(
        self, key: str, upload_id: str, number: int, body: bytes, digest: Any = None
    ) -> dict[str, Any]:
        def send() -> Any:
            if digest is not None:  # the running digest, in order, off the event loop
                digest.update(body)
            return self._s3.upload_part(
                Bucket=self._bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body
            )

        response = await self._aws.call("s3", "UploadPart", send)
        return {"PartNumber": number, "ETag": response["ETag"]}

    async def _complete(self, key: str, upload_id: str, parts: list[dict[str, Any]]) -> None:
        await self._aws.call(
            "s3",
            "CompleteMultipartUpload",
            lambda: self._s3.complete_multipart_upload(
                Bucket=self._bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            ),
        )

    async def _abort_quietly(self, key: str, upload_id: str) -> None:
        # Best effort: the bucket's lifecycle rule aborts incomplete uploads anyway.
        with contextlib.suppress(DependencyError, ClientError):
            await self._aws.call(
                "s3",
                "AbortMultipartUpload",
                lambda: self._s3.abort_multipart_upload(
                    Bucket=self._bucket, Key=key, UploadId=upload_id
                ),
            )

    async def open(
        self, key: str, byte_range: tuple[int, int] | None = None
    ) -> Iterator[bytes] | None:
        """The object's body (or the inclusive `byte_range` of it, passed to S3) as a
        blocking chunk iterator, or None when it is gone."""
        request: dict[str, Any] = {"Bucket": self._bucket, "Key": key}
        if byte_range is not None:
            request["Range"] = f"bytes={byte_range[0]}-{byte_range[1]}"
        try:
            response = await self._aws.call(
                "s3", "GetObject", lambda: self._s3.get_object(**request)
            )
        except ClientError as exc:
            if is_missing(exc):
                return None
            raise
        chunks: Iterator[bytes] = iter(response["Body"].iter_chunks(STREAM_CHUNK_BYTES))
        return chunks

    def presign(self, key: str, content_type: str, disposition: str, expires_seconds: int) -> str:
        """A GET URL whose response carries the same type and disposition as ours."""
        url: str = self._s3.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self._bucket,
                "Key": key,
                "ResponseContentType": content_type,
                "ResponseContentDisposition": disposition,
            },
            ExpiresIn=expires_seconds,
        )
        return url

    async def delete(self, key: str) -> None:
        await self._aws.call(
            "s3", "DeleteObject", lambda: self._s3.delete_object(Bucket=self._bucket, Key=key)
        )

    async def delete_quietly(self, key: str) -> None:
        """Best effort, finished even when the request is cancelled; what it misses the
        reconciler removes."""
        with anyio.CancelScope(shield=True), contextlib.suppress(DependencyError, ClientError):
            await self.delete(key)

    @property
    def root_prefix(self) -> str:
        return f"{self._prefix}/"

    async def list_objects(
        self, prefix: str, page_size: int = 1000, max_pages: int = 100_000
    ) -> AsyncIterator[tuple[str, datetime]]:
        """(key, last modified) of every object under `prefix`, following continuation
        tokens page by page (1,000 keys each), bounded by `max_pages`. Uploads still in
        progress are not objects yet and are never listed."""
        token: str | None = None
        for _ in range(max_pages):
            request: dict[str, Any] = {
                "Bucket": self._bucket,
                "Prefix": prefix,
                "MaxKeys": page_size,
            }
            if token is not None:
                request["ContinuationToken"] = token
            response = await self._aws.call(
                "s3",
                "ListObjectsV2",
                lambda request=request: self._s3.list_objects_v2(**request),  # type: ignore[misc]
            )
            for item in response.get("Contents", []):
                yield str(item["Key"]), item["LastModified"]
            if not response.get("IsTruncated"):
                return
            token = response.get("NextContinuationToken")

    async def probe(self) -> None:
        await self._aws.call("s3", "HeadBucket", lambda: self._s3.head_bucket(Bucket=self._bucket))
