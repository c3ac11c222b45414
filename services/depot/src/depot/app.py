"""The ASGI application: routes, error rendering, middleware and background tasks."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from service_runtime.aws import DependencyError
from service_runtime.deadline import OverloadedError
from service_runtime.logs import get_logger
from service_runtime.middleware import (
    HeadAsGet,
    RequestDeadline,
    RequestLimits,
    RequestObservability,
    ResponseHeaders,
)
from service_runtime.problems import (
    PROBLEM_JSON,
    dependency_unavailable,
    install_problem_handlers,
    overloaded,
    problem_response,
)
from service_runtime.tracing import instrument_asgi
from starlette.types import ASGIApp

from depot import routes_documents, routes_ops
from depot.runtime import Runtime

log = get_logger("depot.app")
# The content route streams its body itself, under its upload slot and the body deadline.
CONTENT_ROUTE = re.compile(r"^/v1/documents/[^/]+/content/?$")


def create_api(runtime: Runtime) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with anyio.create_task_group() as background:
            background.start_soon(runtime.keystore.run)
            background.start_soon(runtime.dependencies.run)
            log.info("started", version=runtime.settings.version, port=runtime.settings.port)
            yield
            background.cancel_scope.cancel()

    api = FastAPI(
        title="depot",
        version=runtime.settings.version,
        summary="Multi-tenant document storage: metadata in DynamoDB, content in S3.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served by routes_ops, so it is a routed, measured endpoint
        # No 307 from `/v1/documents/` to `/v1/documents`: Starlette builds the Location
        # from the client's Host and the hop's scheme (http behind the TLS-terminating ALB),
        # and answers before authentication. A wrong path is a 404 problem.
        redirect_slashes=False,
        lifespan=lifespan,
    )
    api.state.runtime = runtime
    install_problem_handlers(api)

    async def on_dependency_error(_: Request, exc: Exception) -> JSONResponse:
        if not isinstance(exc, DependencyError):
            raise exc
        log.warning("dependency unavailable", backend=exc.backend, outcome=exc.outcome)
        return problem_response(
            dependency_unavailable(exc.backend, runtime.settings.retry_after_seconds)
        )

    api.add_exception_handler(DependencyError, on_dependency_error)

    async def on_overloaded(_: Request, exc: Exception) -> JSONResponse:
        if not isinstance(exc, OverloadedError):
            raise exc
        log.warning("at capacity", resource=exc.resource)
        return problem_response(overloaded(exc.resource, runtime.settings.retry_after_seconds))

    api.add_exception_handler(OverloadedError, on_overloaded)
    api.include_router(routes_ops.router)
    api.include_router(routes_documents.router)
    api.mount(
        "/docs/assets", StaticFiles(directory=Path(str(routes_ops.DOCS_ASSETS))), "docs-assets"
    )
    api.openapi = lambda: _openapi(  # type: ignore[method-assign]
        api, runtime.settings.max_content_bytes
    )
    return api


def create_app(runtime: Runtime) -> ASGIApp:
    """The full stack, outermost first: tracing, observability, request limits, API."""
    settings = runtime.settings
    api = create_api(runtime)
    bounded = RequestDeadline(HeadAsGet(ResponseHeaders(api)),
                              settings.request_deadline_seconds, CONTENT_ROUTE)  # fmt: skip
    limited = RequestLimits(
        bounded,
        settings.max_header_bytes,
        settings.max_json_bytes,
        settings.body_timeout_seconds,
        CONTENT_ROUTE,
    )
    observed = RequestObservability(limited, runtime.metrics)
    return instrument_asgi(observed)


def _openapi(api: FastAPI, max_content_bytes: int) -> dict[str, Any]:
    """FastAPI's document, corrected to what the API really answers.

    Validation errors are 400 problem+json here (not FastAPI's 422 HTTPValidationError),
    and every error response is `application/problem+json`.
    """
    if api.openapi_schema:
        return api.openapi_schema
    schema = get_openapi(
        title=api.title,
        version=api.version,
        summary=api.summary,
        routes=api.routes,
        openapi_version=api.openapi_version,
    )
    problem_ref = {"$ref": "#/components/schemas/ProblemBody"}
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses: dict[str, Any] = operation.get("responses", {})
            validation = responses.get("422", {})
            if "HTTPValidationError" in str(validation):
                del responses["422"]
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = {PROBLEM_JSON: {"schema": problem_ref}}
    components = schema.get("components", {}).get("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    _state_the_whole_contract(schema, max_content_bytes)
    api.openapi_schema = schema
    return schema


_RATELIMIT_HEADERS = {
    "RateLimit-Policy": {
        "description": "The tenant's quota policy (draft-ietf-httpapi-ratelimit-headers)",
        "schema": {"type": "string", "maxLength": 128},
    },
    "RateLimit": {
        "description": "Requests left in the tenant's budget and seconds until it refills",
        "schema": {"type": "string", "maxLength": 128},
    },
}


_RETRY_AFTER = {
    "description": "Seconds to wait before retrying",
    "schema": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 86400},
}


def _state_the_whole_contract(schema: dict[str, Any], max_content_bytes: int) -> None:
    """What FastAPI cannot derive: the RateLimit fields every /v1 answer carries, the
    largest content body, the servers and what the API is for."""
    schema["info"]["description"] = (
        "Multi-tenant document storage. Authenticate with `Authorization: Bearer <API key>`; "
        "errors are RFC 9457 problem details."
    )
    schema["info"]["contact"] = {"name": "depot platform team", "url": "https://example.com"}
    schema["servers"] = [
        {
            "url": "/",
            "description": "The deployment serving this document: local, staging or production",
            "x-internal": False,
        }
    ]
    for path, path_item in schema.get("paths", {}).items():
        for operation in path_item.values():
            for status, response in operation.get("responses", {}).items():
                if path.startswith("/v1/") and status[0] in "24":
                    response.setdefault("headers", {}).update(_RATELIMIT_HEADERS)
                if status in ("429", "503"):
                    response.setdefault("headers", {})["Retry-After"] = _RETRY_AFTER
                for media in response.get("content", {}).values():
                    _bound_binary(media.get("schema", {}), max_content_bytes)
            for media in operation.get("requestBody", {}).get("content", {}).values():
                _bound_binary(media.get("schema", {}), max_content_bytes)


def _bound_binary(media_schema: dict[str, Any], max_content_bytes: int) -> None:
    if media_schema.get("format") == "binary":
        media_schema["maxLength"] = max_content_bytes
