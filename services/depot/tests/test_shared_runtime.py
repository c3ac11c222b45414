"""depot runs on the platform's shared service runtime and keeps no copy of it
(docs/adr/0090-shared-service-runtime.md)."""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import service_runtime

import depot
from depot import app, aws, config, routes_ops, server

DEPOT_SOURCE = Path(depot.__file__).parent
RUNTIME_SOURCE = Path(service_runtime.__file__).parent
PROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def _definitions(folder: Path) -> dict[str, str]:
    """Every top-level class and function below `folder`: name -> its body, normalised."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                body = ast.Module(body=node.body, type_ignores=[])
                found[f"{path.relative_to(folder)}:{node.name}"] = ast.dump(body)
    return found


def copies(service: dict[str, str], runtime: dict[str, str]) -> list[str]:
    """A service definition is a copy when it has a runtime class's name, or the body of
    any runtime function or class."""
    runtime_classes = {key.split(":")[1] for key in runtime if key.split(":")[1][:1].isupper()}
    runtime_bodies = set(runtime.values())
    return sorted(
        key
        for key, body in service.items()
        if key.split(":")[1] in runtime_classes or body in runtime_bodies
    )


def test_depot_keeps_no_copy_of_the_runtime() -> None:
    assert copies(_definitions(DEPOT_SOURCE), _definitions(RUNTIME_SOURCE)) == []


def test_a_copy_would_be_noticed() -> None:
    runtime = _definitions(RUNTIME_SOURCE)
    renamed = {"copied.py:my_breaker": runtime["aws.py:CircuitBreaker"]}
    assert copies(renamed, runtime) == ["copied.py:my_breaker"]
    assert copies({"copied.py:Lifecycle": "anything"}, runtime) == ["copied.py:Lifecycle"]


def _routes(router: Any) -> Iterator[Any]:
    """Every route of `router`, through included routers (FastAPI keeps an included
    router whole, as `original_router`, until an app resolves it)."""
    for route in router.routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included)
        else:
            yield route


def test_depot_is_wired_from_the_runtime() -> None:
    sources = tomllib.loads(PROJECT.read_text())["tool"]["uv"]["sources"]
    assert sources["service-runtime"]["path"] == "../../libs/service-runtime"
    endpoints = {route.path: route.endpoint.__module__ for route in _routes(routes_ops.router)}
    for probe in ("/livez", "/readyz", "/metrics"):
        assert endpoints.get(probe) == "service_runtime.health", probe
    assert issubclass(config.Settings, service_runtime.config.ServiceSettings)
    assert issubclass(aws.Aws, service_runtime.aws.AwsGateway)
    assert server.serve_app is service_runtime.server.serve
    assert app.RequestObservability.__module__ == "service_runtime.middleware"
    assert app.install_problem_handlers.__module__ == "service_runtime.problems"
