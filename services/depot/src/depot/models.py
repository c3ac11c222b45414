"""The API's resource shapes. Unknown fields are rejected; every string is bounded."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)

ULID_PATTERN = r"^[0-9A-HJKMNP-TV-Z]{26}$"
MAX_METADATA_ENTRIES = 32
MAX_METADATA_BYTES = 4096
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")

DocumentName = Annotated[str, StringConstraints(min_length=1, max_length=255)]
ContentType = Annotated[
    str,
    StringConstraints(
        max_length=127,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}$",
    ),
]
MetadataKey = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
]
MetadataValue = Annotated[str, StringConstraints(max_length=256)]


def _metadata_schema(value_type: str | list[str]) -> WithJsonSchema:
    # Stated in full: pydantic would emit patternProperties, which lets any key that does
    # not match the pattern through with any value, so clients and fuzzers misread it.
    return WithJsonSchema(
        {
            "type": "object",
            "maxProperties": MAX_METADATA_ENTRIES,
            "propertyNames": {"pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]*$", "maxLength": 64},
            "additionalProperties": {"type": value_type, "maxLength": 256},
        }
    )


Metadata = Annotated[dict[MetadataKey, MetadataValue], _metadata_schema("string")]
MetadataPatch = Annotated[
    dict[MetadataKey, MetadataValue | None], _metadata_schema(["string", "null"])
]


def check_name(name: str) -> str:
    # Names are labels, never paths: objects are keyed by id. Control characters are
    # refused because they corrupt logs and terminals that show names.
    if _CONTROL_CHARS.search(name):
        raise ValueError("must not contain control characters")
    if not name.strip():
        raise ValueError("must not be blank")
    return name


def check_metadata(metadata: dict[str, str]) -> dict[str, str]:
    if len(metadata) > MAX_METADATA_ENTRIES:
        raise ValueError(f"at most {MAX_METADATA_ENTRIES} entries")
    size = sum(len(k.encode()) + len(v.encode()) for k, v in metadata.items())
    if size > MAX_METADATA_BYTES:
        raise ValueError(f"at most {MAX_METADATA_BYTES} bytes of keys and values")
    for value in metadata.values():
        if _CONTROL_CHARS.search(value):
            raise ValueError("values must not contain control characters")
    return metadata


class DocumentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: DocumentName
    content_type: ContentType = "application/octet-stream"
    metadata: Metadata = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        return check_name(value)

    @field_validator("metadata")
    @classmethod
    def _valid_metadata(cls, value: dict[str, str]) -> dict[str, str]:
        return check_metadata(value)


class DocumentPatch(BaseModel):
    """A JSON merge patch (RFC 7396) of the mutable fields.

    `metadata` entries set to null are removed; `metadata: null` clears them all.
    """

    model_config = ConfigDict(extra="forbid")

    name: DocumentName | None = None
    metadata: MetadataPatch | None = None

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str | None) -> str | None:
        return value if value is None else check_name(value)


# Bounds the OpenAPI document states (OWASP API4: every string, integer and array
# bounded); each holds by construction of what the service stores and returns.
Timestamp = Annotated[datetime, WithJsonSchema({"type": "string", "format": "date-time",
                                                "maxLength": 32})]  # fmt: skip
Int64: dict[str, Any] = {"format": "int64"}
MAX_VERSION = 2**53 - 1  # exact in every JSON number implementation
MAX_SIZE = 5 * 1024**4  # S3's largest object; the configured limit is far below


class Integrity(BaseModel):
    """The verifier's verdict on the current content (services/verifier): S3 recomputed
    against the recorded size and SHA-256, and the bytes' real type against
    `content_type`. A verdict about earlier content is never shown as this one's."""

    status: Literal["verified", "mismatch", "unverified"] = Field(
        description="verified: content matches its record; mismatch: it does not; "
        "unverified: not (yet) checked, or no content"
    )
    checked_at: Timestamp | None = Field(
        None, description="When the current content was checked; null while unverified"
    )


UNVERIFIED = Integrity(status="unverified")


class Document(BaseModel):
    id: str = Field(
        pattern=ULID_PATTERN, max_length=26, description="ULID: sortable by creation time"
    )
    name: DocumentName
    content_type: ContentType
    size: Annotated[int, Field(ge=0, le=MAX_SIZE, json_schema_extra=Int64)] | None = Field(
        None, description="Bytes of content; null until uploaded"
    )
    sha256: str | None = Field(
        None, pattern=r"^[0-9a-f]{64}$", max_length=64, description="Hex SHA-256 of the content"
    )
    metadata: Metadata
    version: int = Field(
        ge=1,
        le=MAX_VERSION,
        json_schema_extra=Int64,
        description="Incremented on every change; the ETag",
    )
    status: Literal["pending", "available"]
    created_at: Timestamp
    updated_at: Timestamp
    integrity: Integrity = UNVERIFIED


class DocumentPage(BaseModel):
    items: list[Document] = Field(max_length=100)
    next_cursor: str | None = Field(
        None, max_length=256, description="Pass as `cursor` for the next page"
    )
