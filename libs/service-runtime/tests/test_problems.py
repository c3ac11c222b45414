"""RFC 9457 problem details for every error an app answers."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from service_runtime.problems import (
    MAX_DETAIL,
    MAX_ERRORS,
    PROBLEM_JSON,
    Problem,
    dependency_unavailable,
    install_problem_handlers,
    invalid,
    overloaded,
)


class Item(BaseModel):
    name: str = Field(min_length=1)


def _app(*, handlers: bool = True) -> TestClient:
    app = FastAPI()
    if handlers:
        install_problem_handlers(app)

    @app.post("/items")
    async def create(item: Item) -> Item:
        return item

    @app.get("/items")
    async def listing() -> list[Item]:
        return []

    @app.get("/teapot")
    async def teapot() -> None:
        raise Problem(418, "teapot", "I am a teapot", "short and stout", headers={"X-A": "b"})

    @app.get("/bug")
    async def bug() -> None:
        raise RuntimeError("secret internals")

    return TestClient(app, raise_server_exceptions=False)


def test_a_raised_problem_is_rendered_as_problem_json() -> None:
    response = _app().get("/teapot")
    assert response.status_code == 418
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["x-a"] == "b"
    assert response.json() == {
        "type": "/problems/teapot",
        "title": "I am a teapot",
        "status": 418,
        "detail": "short and stout",
    }


def test_validation_errors_are_400_naming_the_field() -> None:
    response = _app().post("/items", json={"name": ""})
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "/problems/invalid-request"
    assert body["errors"][0]["field"] == "body.name"


def test_without_the_handlers_the_framework_answers_422() -> None:
    # The must-fail side of the test above: the handlers are what makes it a 400 problem.
    assert _app(handlers=False).post("/items", json={"name": ""}).status_code == 422


def test_unknown_routes_and_methods_are_problems_with_allow() -> None:
    client = _app()
    missing = client.get("/nothing")
    assert (missing.status_code, missing.json()["type"]) == (404, "/problems/not-found")
    wrong = client.delete("/items")
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "GET, HEAD, POST"


def test_a_bug_is_a_500_that_says_nothing_about_internals() -> None:
    response = _app().get("/bug")
    assert response.status_code == 500
    assert "secret" not in response.text
    assert response.json()["type"] == "/problems/internal-error"


def test_problems_are_bounded_and_carry_retry_after() -> None:
    long = invalid("body.x", "y" * 10_000)
    assert long.detail is not None and len(long.detail) == MAX_DETAIL
    many = Problem(400, "x", "x", errors=[invalid("f", "m").errors[0]] * 100)  # type: ignore[index]
    assert many.errors is not None and len(many.errors) == MAX_ERRORS
    assert dependency_unavailable("s3", 5).headers == {"Retry-After": "5"}
    assert overloaded("upload slots", 7).status == 503
