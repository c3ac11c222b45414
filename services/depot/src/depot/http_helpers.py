"""Small HTTP rules shared by the routes: ETags, preconditions, digests, body deadlines."""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import AsyncIterator

import anyio

from depot.problems import Problem, invalid


def etag(version: int) -> str:
    return f'"{version}"'


def check_if_match(if_match: str | None, version: int, *, required: bool) -> None:
    """412 on a stale or malformed validator; 428 when one is required and missing."""
    if if_match is None:
        if required:
            raise Problem(
                428,
                "precondition-required",
                "Precondition required",
                "Send If-Match with the document's current ETag to change it.",
                headers={"ETag": etag(version)},
            )
        return
    candidates = [value.strip() for value in if_match.split(",")]
    # If-Match uses strong comparison: a weak validator (W/"…") never matches.
    if "*" in candidates or etag(version) in candidates:
        return
    raise Problem(
        412,
        "precondition-failed",
        "Precondition failed",
        "The document has changed; fetch it again and retry with its current ETag.",
        headers={"ETag": etag(version)},
    )


def parse_content_digest(header: str | None) -> bytes | None:
    """The sha-256 value of an RFC 9530 `Content-Digest` header, or None when absent."""
    if header is None:
        return None
    for member in header.split(","):
        algorithm, _, value = member.strip().partition("=")
        if algorithm.strip().lower() != "sha-256":
            continue
        value = value.strip()
        if len(value) < 2 or not (value.startswith(":") and value.endswith(":")):
            break
        try:
            digest = base64.b64decode(value[1:-1], validate=True)
        except (binascii.Error, ValueError):
            break
        if len(digest) == 32:
            return digest
        break
    raise invalid(
        "header.Content-Digest",
        "expected `sha-256=:<base64 of the 32-byte SHA-256>:` (RFC 9530)",
    )


class BodyTimeoutError(Exception):
    pass


async def chunks_within(
    stream: AsyncIterator[bytes], budget_seconds: float
) -> AsyncIterator[bytes]:
    """Yield the body's chunks; raise BodyTimeoutError once receiving has taken too long.

    Only time spent waiting for the client counts: a slow S3 part upload is not the
    client's fault, a client trickling bytes (slowloris) is.
    """
    spent = 0.0
    iterator = stream.__aiter__()
    while True:
        started = time.monotonic()
        try:
            with anyio.fail_after(max(budget_seconds - spent, 0.0)):
                chunk = await iterator.__anext__()
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise BodyTimeoutError from None
        spent += time.monotonic() - started
        if chunk:
            yield chunk
