"""The ASGI application: routes, error rendering, middleware and background tasks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp

from depot import routes_documents, routes_ops
from depot.aws import DependencyError
from depot.governor import OverloadedError
from depot.logs import get_logger
from depot.middleware import HeadAsGet, RequestDeadline, RequestLimits, RequestObservability
from depot.problems import (
    PROBLEM_JSON,
    dependency_unavailable,
    install_problem_handlers,
    overloaded,
    problem_response,
)
from depot.runtime import Runtime
from depot.tracing import instrument_asgi

log = get_logger("depot.app")


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
    api.openapi = lambda: _openapi(api)  # type: ignore[method-assign]
    return api


def create_app(runtime: Runtime) -> ASGIApp:
    """The full stack, outermost first: tracing, observability, request limits, API."""
    settings = runtime.settings
    api = create_api(runtime)
    bounded = RequestDeadline(HeadAsGet(api), settings.request_deadline_seconds)
    limited = RequestLimits(
        bounded, settings.max_header_bytes, settings.max_json_bytes, settings.body_timeout_seconds
    )
    observed = RequestObservability(limited, runtime.metrics)
    return instrument_asgi(observed)


def _openapi(api: FastAPI) -> dict[str, Any]:
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
    api.openapi_schema = schema
    return schema
