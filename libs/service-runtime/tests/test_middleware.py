"""Request ids, trace ids, bounded metric labels, request limits, HEAD and extra headers."""

from __future__ import annotations

import json
import re

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from prometheus_client import generate_latest

from service_runtime.logs import configure_logging
from service_runtime.metrics import Metrics, create_metrics
from service_runtime.middleware import (
    HeadAsGet,
    RequestDeadline,
    RequestLimits,
    RequestObservability,
    ResponseHeaders,
    add_response_headers,
    is_head,
)
from service_runtime.problems import install_problem_handlers

STREAMED = re.compile(r"^/upload$")
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def _client() -> tuple[TestClient, Metrics]:
    api = FastAPI()
    install_problem_handlers(api)

    @api.get("/things/{thing_id}")
    async def thing(thing_id: str, request: Request) -> dict[str, object]:
        add_response_headers(request.scope, {"RateLimit": "limit=10"})
        return {"id": thing_id, "head": is_head(request.scope)}

    @api.post("/things")
    async def create(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    @api.put("/upload")
    async def upload(request: Request) -> dict[str, int]:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        return {"bytes": size}

    metrics = create_metrics("example", "1", "r", [])
    stack = RequestDeadline(HeadAsGet(ResponseHeaders(api)), 5.0, STREAMED)
    limited = RequestLimits(stack, 2048, 1024, 5.0, STREAMED)
    return TestClient(RequestObservability(limited, metrics)), metrics


def _access_records(out: str) -> list[dict[str, object]]:
    records = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return [r for r in records if r.get("logger") == "example.access"]


def test_request_and_trace_ids_reach_the_response_and_the_access_log(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO")
    client, _ = _client()
    traceparent = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
    answered = client.get(
        "/things/a", headers={"x-request-id": "req-1", "traceparent": traceparent}
    )
    assert answered.headers["x-request-id"] == "req-1"
    generated = client.get("/things/b", headers={"x-request-id": "bad id with spaces"})
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])
    first, second = _access_records(capsys.readouterr().out)
    assert (first["request_id"], first["trace_id"], first["route"]) == (
        "req-1",
        TRACE_ID,
        "/things/{thing_id}",
    )
    assert second["trace_id"] is None


def test_route_labels_are_templates_and_unknown_paths_share_one() -> None:
    client, metrics = _client()
    for path in ("/things/1", "/things/2", "/nope/1", "/nope/2"):
        client.get(path)
    client.request("BREW", "/things/1")
    text = generate_latest(metrics.registry).decode()
    assert 'http_requests_total{method="GET",route="/things/{thing_id}",status="200"} 2.0' in text
    assert 'http_requests_total{method="GET",route="unmatched",status="404"} 2.0' in text
    assert 'method="OTHER"' in text
    assert "/nope/1" not in text and "/things/1" not in text


def test_oversized_headers_and_bodies_are_problems_but_streamed_bodies_pass() -> None:
    client, _ = _client()
    headers = client.get("/things/a", headers={"x-big": "x" * 4096})
    assert (headers.status_code, headers.json()["type"]) == (431, "/problems/headers-too-large")
    body = client.post("/things", content=b"x" * 2048)
    assert (body.status_code, body.json()["type"]) == (413, "/problems/body-too-large")
    assert client.post("/things", content=b"x" * 100).json() == {"bytes": 100}
    assert client.put("/upload", content=b"x" * 4096).json() == {"bytes": 4096}


def test_head_is_served_by_the_get_route_and_extra_headers_are_added() -> None:
    client, _ = _client()
    head = client.head("/things/a")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["ratelimit"] == "limit=10"
    assert client.get("/things/a").json() == {"id": "a", "head": False}
