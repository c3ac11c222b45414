"""The /v1/documents API."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from service_runtime.middleware import add_response_headers, body_timeout_problem, is_head
from service_runtime.problems import Problem, ProblemBody, dependency_unavailable, invalid
from starlette.requests import ClientDisconnect

from depot.cursor import InvalidCursorError, decode_cursor, encode_cursor
from depot.http_helpers import (
    BodyTimeoutError,
    RangeNotSatisfiableError,
    byte_range,
    check_if_match,
    chunks_within,
    content_disposition,
    etag,
    none_match,
    parse_content_digest,
)
from depot.keys import Principal
from depot.models import (
    ULID_PATTERN,
    Document,
    DocumentCreate,
    DocumentPage,
    DocumentPatch,
    check_metadata,
)
from depot.repository import StoredDocument
from depot.runtime import Runtime
from depot.service.documents import (
    DocumentNotFoundError,
    IdempotencyInFlightError,
    IdempotencyKeyReusedError,
    QuotaExceededError,
    StaleDocumentError,
)
from depot.storage import ContentTooLargeError, DigestMismatchError

bearer = HTTPBearer(auto_error=False, description="An API key issued by `depot keys issue`.")
DocId = Annotated[str, Path(pattern=ULID_PATTERN, max_length=26, description="Document id (ULID)")]
IfMatch = Annotated[str | None, Header(max_length=512, description="The document's ETag")]


def not_found() -> Problem:
    # One answer for "another tenant's", "deleted" and "never existed": existence must not leak.
    return Problem(404, "not-found", "Not found", "No such document.")


IfNoneMatch = Annotated[
    str | None, Header(max_length=512, description="ETags the client holds (304 on a match)")
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Retry-safe creation: the same key and body return the stored response.",
    ),
]


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ProblemBody} for status in statuses}


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def authenticated(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if not runtime.keystore.loaded:
        raise dependency_unavailable("secretsmanager", runtime.settings.retry_after_seconds)
    principal = runtime.keystore.keys.authenticate(credentials.credentials) if credentials else None
    if principal is None:
        raise Problem(
            401,
            "unauthorized",
            "Unauthorized",
            "Send `Authorization: Bearer <API key>` with a valid key.",
            headers={"WWW-Authenticate": 'Bearer realm="depot"'},
        )
    structlog.contextvars.bind_contextvars(tenant=principal.tenant)
    limiter = runtime.rate_limiter
    if limiter.enabled:
        decision = limiter.take(principal.tenant)
        add_response_headers(request.scope, limiter.headers(decision))
        if not decision.allowed:
            raise Problem(
                429,
                "rate-limited",
                "Too many requests",
                "This tenant's request rate is above its limit; retry after the delay given.",
                headers={
                    "Retry-After": str(decision.reset_seconds),
                    **limiter.headers(decision),
                },
            )
    return principal


PrincipalDep = Annotated[Principal, Depends(authenticated)]


def json_body(*media_types: str) -> Any:
    async def check(request: Request) -> None:
        given = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if given not in media_types:
            raise invalid(
                "header.Content-Type",
                f"send the body as {' or '.join(media_types)}",
                status=415,
                slug="unsupported-media-type",
            )

    return Depends(check)


router = APIRouter(
    prefix="/v1/documents",
    tags=["documents"],
    responses=_problems(400, 401, 429, 500, 503),
)


def _document_response(document: StoredDocument, status: int = 200) -> Response:
    # pydantic-core writes the JSON bytes itself: no dict of the model, no json.dumps.
    return Response(
        document.to_api().model_dump_json(),
        status_code=status,
        headers={"ETag": etag(document.version)},
        media_type="application/json",
    )


async def _load(runtime: Runtime, principal: Principal, doc_id: str) -> StoredDocument:
    with _translated():
        return await runtime.service.load(principal.tenant, doc_id)


@router.post(
    "",
    status_code=201,
    response_model=Document,
    responses=_problems(408, 409, 413, 415, 422),
    dependencies=[json_body("application/json")],
)
async def create_document(
    body: DocumentCreate,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Create a document's metadata; upload its content next with PUT …/content."""
    fingerprint = hashlib.sha256(
        json.dumps(body.model_dump(mode="json"), sort_keys=True).encode()
    ).hexdigest()
    try:
        outcome = await runtime.service.create(
            principal.tenant,
            body.name,
            body.content_type,
            body.metadata,
            idempotency_key,
            fingerprint,
        )
    except IdempotencyKeyReusedError:
        raise invalid(
            "header.Idempotency-Key",
            "this key was used with a different request body; use a new key",
            status=422,
            slug="idempotency-key-reused",
        ) from None
    except IdempotencyInFlightError:
        raise Problem(
            409,
            "idempotency-key-in-flight",
            "A request with this Idempotency-Key is still being processed",
            "Retry after it completes.",
            headers={"Retry-After": "1"},
        ) from None
    payload = outcome.payload
    headers = {"Location": f"/v1/documents/{payload['id']}", "ETag": etag(int(payload["version"]))}
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(payload, status_code=201, headers=headers)


@router.get("", response_model=DocumentPage)
async def list_documents(
    runtime: RuntimeDep,
    principal: PrincipalDep,
    limit: Annotated[
        int, Query(ge=1, le=100, description="Page size", json_schema_extra={"format": "int32"})
    ] = 20,
    cursor: Annotated[str | None, Query(max_length=256, description="From `next_cursor`")] = None,
) -> DocumentPage:
    """The caller's documents, newest first."""
    after = None
    if cursor is not None:
        try:
            after = decode_cursor(cursor)
        except InvalidCursorError as exc:
            raise invalid("query.cursor", str(exc)) from None
    documents, more = await runtime.documents.list_page(principal.tenant, limit, after)
    next_cursor = encode_cursor(documents[-1].id) if more and documents else None
    return DocumentPage(items=[d.to_api() for d in documents], next_cursor=next_cursor)


@router.get(
    "/{doc_id}",
    response_model=Document,
    responses={304: {"description": "Not modified"}, **_problems(404)},
)
async def get_document(
    doc_id: DocId,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    if_none_match: IfNoneMatch = None,
) -> Response:
    document = await _load(runtime, principal, doc_id)
    if none_match(if_none_match, document.version):
        return Response(status_code=304, headers={"ETag": etag(document.version)})
    return _document_response(document)


@router.patch(
    "/{doc_id}",
    response_model=Document,
    responses=_problems(404, 408, 412, 413, 415, 428),
    dependencies=[json_body("application/merge-patch+json", "application/json")],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/merge-patch+json": {
                    "schema": {"$ref": "#/components/schemas/DocumentPatch"}
                }
            },
        }
    },
)
async def patch_document(
    doc_id: DocId,
    patch: DocumentPatch,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
) -> Response:
    """JSON merge patch of `name` and `metadata`; requires If-Match."""

    def change(current: StoredDocument) -> tuple[str, dict[str, str]]:
        name = current.name
        if "name" in patch.model_fields_set:
            if patch.name is None:
                raise invalid("body.name", "name cannot be removed")
            name = patch.name
        metadata = dict(current.metadata)
        if "metadata" in patch.model_fields_set:
            if patch.metadata is None:
                metadata = {}
            else:
                for key, value in patch.metadata.items():
                    if value is None:
                        metadata.pop(key, None)
                    else:
                        metadata[key] = value
            try:
                check_metadata(metadata)
            except ValueError as exc:
                raise invalid("body.metadata", str(exc)) from None
        return name, metadata

    with _translated():
        updated = await runtime.service.update_metadata(
            principal.tenant,
            doc_id,
            lambda current: check_if_match(if_match, current.version, required=True),
            change,
        )
    return _document_response(updated)


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    """The service's outcomes as HTTP problems."""
    try:
        yield
    except DocumentNotFoundError:
        raise not_found() from None
    except StaleDocumentError:
        raise _stale() from None


def _stale() -> Problem:
    return Problem(
        412,
        "precondition-failed",
        "Precondition failed",
        "The document changed while this request was processed; fetch it and retry.",
    )


@router.put(
    "/{doc_id}/content",
    response_model=Document,
    responses={
        201: {
            "model": Document,
            "description": "The document's first content is stored (RFC 9110 §9.3.4)",
            "headers": {"Location": {"schema": {"type": "string", "maxLength": 256}}},
        },
        **_problems(404, 408, 412, 413, 428),
    },
    openapi_extra={
        "requestBody": {
            "required": False,  # an empty body is a valid, zero-byte document
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def put_content(
    doc_id: DocId,
    request: Request,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
    content_digest: Annotated[
        str | None,
        Header(alias="Content-Digest", max_length=1024, description="RFC 9530, sha-256"),
    ] = None,
) -> Response:
    """Stream the content to S3; the document becomes `available` once it is stored."""
    settings = runtime.settings
    expected = parse_content_digest(content_digest)

    def declared_size_fits() -> None:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > settings.max_content_bytes:
            raise _content_too_large(settings.max_content_bytes)

    try:
        with runtime.uploads.hold(), _translated():
            outcome = await runtime.service.put_content(
                principal.tenant,
                doc_id,
                lambda current: check_if_match(
                    if_match, current.version, required=current.status == "available"
                ),
                declared_size_fits,
                chunks_within(request.stream(), settings.body_timeout_seconds),
                expected,
                _declared_length(request),
            )
    except ContentTooLargeError:
        raise _content_too_large(settings.max_content_bytes) from None
    except QuotaExceededError as exc:
        raise Problem(
            413,
            "quota-exceeded",
            "Storage quota exceeded",
            f"This tenant stores {exc.used} of its {exc.quota} bytes; this content does not "
            "fit. Delete documents or ask for a larger quota.",
        ) from None
    except DigestMismatchError as exc:
        raise invalid(
            "header.Content-Digest", f"the body's sha-256 is {exc}, not the one declared"
        ) from None
    except BodyTimeoutError:
        raise body_timeout_problem(settings.body_timeout_seconds) from None
    except ClientDisconnect:
        raise invalid("body", "the client disconnected before the body was complete") from None
    response = _document_response(outcome.document, status=201 if outcome.created else 200)
    if outcome.created:
        response.headers["Location"] = f"/v1/documents/{doc_id}/content"
    return response


def _declared_length(request: Request) -> int | None:
    declared = request.headers.get("content-length", "")
    return int(declared) if declared.isdigit() else None


def _content_too_large(limit: int) -> Problem:
    return Problem(413, "content-too-large", "Content too large", f"The limit is {limit} bytes.")


@router.get(
    "/{doc_id}/content",
    responses={
        # Served with the content type the document was created with: any media type.
        200: {"content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}},
        206: {
            "description": "The requested byte range (`Range: bytes=…`)",
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        },
        304: {"description": "Not modified (`If-None-Match` names the current ETag)"},
        307: {"description": "Redirect to a short-lived presigned URL"},
        **_problems(404, 409, 416),
    },
    response_class=Response,
)
async def get_content(
    doc_id: DocId,
    request: Request,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    redirect: Annotated[bool, Query(description="Answer 307 to a presigned GET")] = False,
    if_none_match: IfNoneMatch = None,
    range_header: Annotated[
        str | None, Header(alias="Range", max_length=256, description="RFC 9110 §14.2")
    ] = None,
) -> Response:
    """Stream the content (whole or one byte range), or redirect to a presigned S3 URL."""
    document = await _load(runtime, principal, doc_id)
    if document.status != "available" or document.content_key is None:
        raise Problem(409, "content-not-uploaded", "No content yet", "Upload it with PUT first.")
    size = document.size or 0
    headers = {
        # Set verbatim: `media_type` would append a charset to text/* and alter what was stored.
        "Content-Type": document.content_type,
        "ETag": etag(document.version),
        "Accept-Ranges": "bytes",
        "Content-Disposition": content_disposition(document.name),
        "X-Content-Type-Options": "nosniff",
    }
    if none_match(if_none_match, document.version):
        return Response(status_code=304, headers={"ETag": headers["ETag"]})
    if redirect:
        key, media_type = document.content_key, document.content_type
        disposition, ttl = headers["Content-Disposition"], runtime.settings.presign_ttl_seconds
        # Off the event loop: signing may refresh the pod's credentials (an STS call).
        url = await runtime.aws.run(
            lambda: runtime.content.presign(key, media_type, disposition, ttl), pool="s3"
        )
        return RedirectResponse(url, status_code=307)
    try:
        wanted = byte_range(range_header, size)
    except RangeNotSatisfiableError:
        raise Problem(
            416,
            "range-not-satisfiable",
            "Range not satisfiable",
            f"The content is {size} bytes long.",
            headers={"Content-Range": f"bytes */{size}"},
        ) from None
    status = 200
    if wanted is None:
        digest = base64.b64encode(bytes.fromhex(document.sha256 or "")).decode()
        headers["Content-Digest"] = f"sha-256=:{digest}:"
        headers["Content-Length"] = str(size)
    else:
        status = 206
        headers["Content-Range"] = f"bytes {wanted[0]}-{wanted[1]}/{size}"
        headers["Content-Length"] = str(wanted[1] - wanted[0] + 1)
    if is_head(request.scope):  # headers only: the object is not even opened
        return Response(status_code=status, headers=headers)
    chunks = await runtime.content.open(document.content_key, wanted)
    if chunks is None:  # deleted between the metadata read and now
        raise not_found()
    return StreamingResponse(_stream(runtime, chunks), status_code=status, headers=headers)


async def _stream(runtime: Runtime, chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    def next_chunk() -> bytes | None:
        return next(chunks, None)

    while (chunk := await runtime.aws.run(next_chunk)) is not None:
        yield chunk


@router.delete("/{doc_id}", status_code=204, responses=_problems(404, 412))
async def delete_document(
    doc_id: DocId, runtime: RuntimeDep, principal: PrincipalDep, if_match: IfMatch = None
) -> Response:
    """Delete the document; its content is unreadable at once."""
    with _translated():
        await runtime.service.delete(
            principal.tenant,
            doc_id,
            None
            if if_match is None
            else lambda current: check_if_match(if_match, current.version, required=True),
        )
    return Response(status_code=204)
