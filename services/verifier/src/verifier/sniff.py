"""What the first bytes of an object say it is: a small table of well-known signatures.

Deliberately small (docs/adr/0093-verifier.md): each entry is a magic number from the
format's own specification, at offset 0 unless stated. A declared type outside the table
is not contradicted by anything here (text, CSV and JSON have no signature), and bytes
that match no signature contradict only a declared type that has one.
"""

from __future__ import annotations

from dataclasses import dataclass

HEAD_BYTES = 16  # the longest signature read below, offset included
# Types that claim nothing about the bytes: any signature agrees with them.
GENERIC = frozenset({"application/octet-stream", "binary/octet-stream"})


@dataclass(frozen=True)
class Signature:
    content_type: str
    magic: bytes
    offset: int = 0
    # Other declared types the same bytes legitimately carry (a DOCX is a ZIP).
    also: frozenset[str] = frozenset()


SIGNATURES: tuple[Signature, ...] = (
    Signature("application/pdf", b"%PDF-"),
    Signature("image/png", b"\x89PNG\r\n\x1a\n"),
    Signature("image/jpeg", b"\xff\xd8\xff"),
    Signature("image/gif", b"GIF87a"),
    Signature("image/gif", b"GIF89a"),
    Signature("image/webp", b"WEBP", offset=8),
    Signature("application/gzip", b"\x1f\x8b", also=frozenset({"application/x-gzip"})),
    Signature(
        "application/zip",
        b"PK\x03\x04",
        also=frozenset(
            {
                "application/x-zip-compressed",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                "application/epub+zip",
                "application/java-archive",
            }
        ),
    ),
)
_WITH_SIGNATURE = frozenset(t for s in SIGNATURES for t in (s.content_type, *s.also))


def sniff(head: bytes) -> Signature | None:
    """The signature the bytes start with, if any."""
    for signature in SIGNATURES:
        end = signature.offset + len(signature.magic)
        if head[signature.offset : end] == signature.magic:
            return signature
    return None


def media_type(declared: str) -> str:
    """`type/subtype` of a Content-Type, lower case, without parameters."""
    return declared.split(";", 1)[0].strip().lower()


def type_conflict(declared: str, head: bytes) -> str | None:
    """Why the bytes contradict the declared type, or None when they do not."""
    wanted = media_type(declared)
    if wanted in GENERIC:
        return None
    found = sniff(head)
    if found is not None:
        if wanted == found.content_type or wanted in found.also:
            return None
        return f"bytes are {found.content_type}, declared {wanted}"
    if wanted in _WITH_SIGNATURE:
        return f"declared {wanted}, bytes lack its signature"
    return None
