"""RFC 9457 problem details: every error the API returns, and the handlers that render them.

`type` is a relative URI (`/problems/<slug>`) that clients can switch on; `errors` names
the offending fields. A 500 means a bug, so its body says nothing about internals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from service_runtime.logs import get_logger

PROBLEM_JSON = "application/problem+json"
log = get_logger("service_runtime.problems")


MAX_FIELD = 256
MAX_MESSAGE = 1024
MAX_DETAIL = 4096
MAX_ERRORS = 50


class FieldError(BaseModel):
    field: str = Field(
        max_length=MAX_FIELD,
        description="Where the problem is: `body.name`, `header.If-Match`, …",
    )
    message: str = Field(max_length=MAX_MESSAGE)

    @classmethod
    def bounded(cls, field: str, message: str) -> FieldError:
        return cls(field=field[:MAX_FIELD], message=message[:MAX_MESSAGE])


class ProblemBody(BaseModel):
    """The JSON body of every error response."""

    type: str = Field(max_length=128, description="A URI reference identifying the problem type")
    title: str = Field(max_length=128)
    status: int = Field(ge=400, le=599, json_schema_extra={"format": "int32"})
    detail: str | None = Field(None, max_length=MAX_DETAIL)
    errors: list[FieldError] | None = Field(None, max_length=MAX_ERRORS)


class Problem(Exception):  # noqa: N818 - it is a problem, rendered as problem+json
    """Raised anywhere in request handling; rendered as an RFC 9457 response."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str | None = None,
        *,
        errors: Sequence[FieldError] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail[:MAX_DETAIL] if detail else detail
        self.errors = list(errors)[:MAX_ERRORS] if errors else None
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        problem = ProblemBody(
            type=f"/problems/{self.slug}",
            title=self.title,
            status=self.status,
            detail=self.detail,
            errors=self.errors,
        )
        return problem.model_dump(exclude_none=True)


def problem_response(problem: Problem) -> JSONResponse:
    return JSONResponse(
        problem.body(), status_code=problem.status, headers=problem.headers, media_type=PROBLEM_JSON
    )


def invalid(
    field: str, message: str, *, status: int = 400, slug: str = "invalid-request"
) -> Problem:
    return Problem(
        status,
        slug,
        "The request is invalid",
        message,
        errors=[FieldError.bounded(field, message)],
    )


def _retry_later(slug: str, title: str, detail: str, retry_after: int) -> Problem:
    """A 503 the client should retry after `retry_after` seconds."""
    return Problem(503, slug, title, detail, headers={"Retry-After": str(retry_after)})


def dependency_unavailable(backend: str, retry_after: int) -> Problem:
    detail = f"The {backend} backend did not answer in time; retry later."
    return _retry_later(
        "dependency-unavailable", "A storage dependency is unavailable", detail, retry_after
    )


def overloaded(resource: str, retry_after: int) -> Problem:
    detail = f"No {resource} free on this instance; retry later."
    return _retry_later("overloaded", "The service is at capacity", detail, retry_after)


def _field_from_loc(loc: Sequence[int | str]) -> str:
    parts = [str(part) for part in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        return ".".join(parts)
    return ".".join(parts) or "request"


async def _on_problem(_: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, Problem):
        raise exc
    return problem_response(exc)


async def _on_validation_error(_: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RequestValidationError):
        raise exc
    errors = [
        FieldError.bounded(_field_from_loc(error["loc"]), error["msg"]) for error in exc.errors()
    ]
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
    return problem_response(
        Problem(400, "invalid-request", "The request is invalid", detail, errors=errors)
    )


def _allowed_methods(request: Request) -> list[str]:
    """Every method of every route on this path (Starlette lists only the first route's)."""
    probe = {**request.scope, "method": "_"}
    allowed: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(probe)
        if match is not Match.NONE:
            allowed |= set(getattr(route, "methods", None) or ())
    if "GET" in allowed:
        allowed.add("HEAD")  # served by every GET route (middleware.HeadAsGet)
    return sorted(allowed)


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, StarletteHTTPException):
        raise exc
    slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
    title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "Request failed")
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return problem_response(Problem(exc.status_code, slug, title, str(exc.detail), headers=headers))


async def _on_unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled exception", exc_info=exc)
    return problem_response(Problem(500, "internal-error", "Internal error"))


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(Exception, _on_unexpected)
