"""Small HTTP rules shared by the routes: ETags, preconditions, digests, body deadlines."""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import AsyncIterator
from urllib.parse import quote

import anyio
from service_runtime.problems import Problem, invalid


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


def none_match(if_none_match: str | None, version: int) -> bool:
    """True when `If-None-Match` names the current ETag (weak comparison, RFC 9110
    §13.1.2): a GET answers 304."""
    if if_none_match is None:
        return False
    current = etag(version)
    for value in (part.strip() for part in if_none_match.split(",")):
        if value == "*" or value.removeprefix("W/") == current:
            return True
    return False


class RangeNotSatisfiableError(Exception):
    pass


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The (first, last) byte of a single `Range: bytes=…` (RFC 9110 §14.1.2) within
    `size`; None to serve the whole representation (absent, multi-range or another unit,
    which a server may ignore); RangeNotSatisfiableError for a range outside it."""
    if header is None:
        return None
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first_text, dash, last_text = spec.strip().partition("-")
    if not dash or not (first_text.isdigit() or last_text.isdigit()):
        return None  # malformed: ignored, as the RFC allows
    if not first_text:  # suffix: the last N bytes
        length = int(last_text)
        if length == 0 or size == 0:
            raise RangeNotSatisfiableError
        return max(size - length, 0), size - 1
    if last_text and not last_text.isdigit():
        return None
    first = int(first_text)
    if first >= size:
        raise RangeNotSatisfiableError
    last = int(last_text) if last_text else size - 1
    if last < first:
        return None  # invalid (last before first): ignored, as the RFC allows
    return first, min(last, size - 1)


def content_disposition(name: str) -> str:
    """`attachment` with the name as RFC 8187 `filename*` and an ASCII fallback, so a
    tenant-chosen text/html or SVG is downloaded, never rendered on our origin."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_"
                       for c in name)  # fmt: skip
    encoded = quote(name, safe="")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
