"""What counts as a deployable image reference: a release tag plus a digest."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Release tags only: a mutable or floating tag (latest, main, 1.2) cannot be audited.
TAG_PATTERN = re.compile(r"^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
DIGEST_PATTERN = re.compile(r"^sha256:[0-9a-f]{64}$")


class ImageRefError(ValueError):
    """An image tag or digest that must not be deployed; the message names the fix."""


@dataclass(frozen=True)
class ImageRef:
    tag: str
    digest: str

    def __post_init__(self) -> None:
        validate_tag(self.tag)
        validate_digest(self.digest)


def validate_tag(tag: object, where: str = "image.tag") -> str:
    if not isinstance(tag, str) or not tag.strip():
        raise ImageRefError(f"{where} is missing; set it to a release tag such as v1.2.3")
    if tag == "latest":
        raise ImageRefError(
            f"{where} is 'latest', which is never deployed; use the release tag vX.Y.Z"
        )
    if not TAG_PATTERN.match(tag):
        raise ImageRefError(f"{where} {tag!r} is not a release tag; use the form vX.Y.Z")
    return tag


def validate_digest(digest: object, where: str = "image.digest") -> str:
    if not isinstance(digest, str) or not digest.strip():
        raise ImageRefError(
            f"{where} is missing; every deployed image is pinned by digest "
            "(sha256:<64 hex>), as printed by the release workflow"
        )
    if not DIGEST_PATTERN.match(digest):
        raise ImageRefError(
            f"{where} {digest!r} is not a digest; use sha256: followed by 64 lowercase hex"
        )
    return digest
