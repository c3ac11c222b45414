"""Operations: probes, metrics, logs, docs, key rotation, drain, outages, configuration,
the sweeper and the key CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import boto3
import httpx

from depot.keys_admin import KeyAdmin

from conftest import (
    FAKE_AWS,
    REGION,
    Moto,
    Stack,
    create,
    free_port,
    make_stack,
    upload,
    wait_until,
)
from test_api import assert_problem


def test_livez_and_readyz_report_state_and_dependencies(depot) -> None:
    assert httpx.get(f"{depot.url}/livez").json() == {"status": "alive"}
    ready = httpx.get(f"{depot.url}/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready"
    assert set(body["dependencies"]) == {"dynamodb", "s3", "secretsmanager"}
    assert all(dep["up"] for dep in body["dependencies"].values())


def test_metrics_use_route_templates_and_slo_buckets(acme, depot) -> None:
    doc = create(acme)
    acme.get(f"/v1/documents/{doc['id']}")
    acme.request("PROPFIND", "/v1/documents")  # methods outside the known set share a label
    text = httpx.get(f"{depot.url}/metrics").text
    assert 'method="PROPFIND"' not in text
    assert 'http_requests_total{method="OTHER",route="/v1/documents",status="405"}' in text
    assert 'http_requests_total{method="GET",route="/v1/documents/{doc_id}",status="200"}' in text
    assert doc["id"] not in text, "no raw ids in labels"
    assert "acme" not in text, "no tenants in labels"
    for bound in ("0.1", "0.25", "0.3", "0.5"):
        assert f'le="{bound}"' in text
    assert "http_requests_in_flight" in text
    assert (
        'depot_dependency_requests_total{backend="dynamodb",operation="GetItem",outcome="ok"}'
        in text
    )
    assert 'depot_dependency_up{backend="s3"} 1.0' in text
    assert 'depot_build_info{python_version="' in text and 'version="0.1.0"' in text
    assert "depot_keys_loaded 2.0" in text


def test_unknown_paths_share_one_route_label(depot) -> None:
    # Scanners request arbitrary paths: a label per raw path would grow the series without
    # bound, so every unmatched path is counted under one label.
    probes = [f"/no-such-path-{n}-{time.time_ns()}" for n in range(3)]
    for path in probes:
        assert httpx.get(f"{depot.url}{path}").status_code == 404
    text = httpx.get(f"{depot.url}/metrics").text
    for path in probes:
        assert path not in text, "a raw path became a label value"
    assert 'http_requests_total{method="GET",route="unmatched",status="404"}' in text


def test_openapi_31_and_docs_served_locally(depot) -> None:
    spec = httpx.get(f"{depot.url}/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    assert spec["info"]["version"] == "0.1.0"
    create_op = spec["paths"]["/v1/documents"]["post"]
    assert "application/problem+json" in create_op["responses"]["400"]["content"]
    assert "HTTPValidationError" not in json.dumps(spec)
    html = httpx.get(f"{depot.url}/docs").text
    assert "/docs/assets/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    asset = httpx.get(f"{depot.url}/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.content) > 100_000


def test_logs_are_json_lines_with_request_ids_and_no_secrets(start_depot, stack: Stack) -> None:
    own = start_depot(stack)
    key = stack.keys["acme"]
    client = own.client(key)
    doc = create(client)
    upload(client, doc["id"], b"TOP-SECRET-CONTENT")
    client.get("/v1/documents", headers={"X-Request-ID": "req-123"})
    httpx.get(
        f"{own.url}/v1/documents",
        headers={"Authorization": "Bearer dpt_wrong_key_value_here_123456"},
    )
    own.stop()
    lines = [line for line in own.logs().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    access = [r for r in records if r.get("logger") == "depot.access"]
    tagged = [r for r in access if r.get("request_id") == "req-123"]
    assert tagged and tagged[0]["route"] == "/v1/documents" and tagged[0]["status"] == 200
    for record in access:
        assert {"timestamp", "level", "event", "request_id", "method", "route", "status",
                "duration_ms"} <= set(record)  # fmt: skip
    everything = "\n".join(lines)
    assert key not in everything
    assert "dpt_wrong_key_value_here_123456" not in everything
    assert "TOP-SECRET-CONTENT" not in everything


def test_trace_context_from_callers_reaches_the_logs(start_depot, stack: Stack) -> None:
    own = start_depot(stack)
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    own.client(stack.keys["acme"]).get(
        "/v1/documents", headers={"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"}
    )
    own.stop()
    assert f'"trace_id": "{trace_id}"' in own.logs()


def test_rotated_in_key_works_and_revoked_key_stops_within_an_interval(start_depot, moto) -> None:
    stack = make_stack(moto.url, ["rotor"])
    own = start_depot(stack, DEPOT_KEYS_REFRESH_SECONDS="0.5")
    admin = KeyAdmin(
        boto3.client("secretsmanager", region_name=REGION, endpoint_url=stack.endpoint),
        stack.secret_id,
    )
    old_key = stack.keys["rotor"]
    entry, new_key = admin.issue("rotor", "rotation test")
    time.sleep(1.0)  # two refresh intervals
    assert own.client(new_key).get("/v1/documents").status_code == 200
    assert own.client(old_key).get("/v1/documents").status_code == 200, "overlap"
    old_id = next(e.id for e in admin.list() if e.id != entry.id)
    admin.revoke(old_id)
    time.sleep(1.0)
    assert own.client(old_key).get("/v1/documents").status_code == 401
    assert own.client(new_key).get("/v1/documents").status_code == 200


def test_sigterm_drains_then_exits_zero(start_depot, stack: Stack) -> None:
    own = start_depot(stack, DEPOT_DRAIN_SECONDS="2", DEPOT_SHUTDOWN_TIMEOUT_SECONDS="5")
    client = own.client(stack.keys["acme"])
    # A request in flight across the signal: a slow upload trickled over ~1.5 s.
    doc = create(client)
    result: dict[str, int] = {}

    def slow_body():
        for _ in range(6):
            time.sleep(0.25)
            yield b"x" * 1000

    def in_flight() -> None:
        result["status"] = client.put(
            f"/v1/documents/{doc['id']}/content", content=slow_body()
        ).status_code

    worker = threading.Thread(target=in_flight)
    worker.start()
    time.sleep(0.3)
    assert own.process is not None
    signalled = time.monotonic()
    own.process.send_signal(signal.SIGTERM)
    wait_until(lambda: httpx.get(f"{own.url}/readyz").status_code == 503, 1.0, "readiness to flip")
    assert httpx.get(f"{own.url}/readyz").json()["status"] == "draining"
    # New requests are still served during the drain period (the LB may still send some).
    assert client.get(f"/v1/documents/{doc['id']}").status_code == 200
    worker.join(timeout=10)
    assert result.get("status") == 201, "the in-flight request completed"
    exit_code = own.process.wait(timeout=15)
    assert exit_code == 0
    assert time.monotonic() - signalled >= 2.0, "served for the whole drain period"
    assert "drain period over" in own.logs()


def test_emulator_outage_gives_fast_503s_and_readiness_stays_up(start_depot, tmp_path) -> None:
    outage_moto = Moto(free_port(), tmp_path / "moto.log").start()
    try:
        stack = make_stack(outage_moto.url, ["acme"])
        own = start_depot(
            stack,
            DEPOT_AWS_CONNECT_TIMEOUT_SECONDS="0.5",
            DEPOT_AWS_READ_TIMEOUT_SECONDS="0.5",
            DEPOT_AWS_MAX_ATTEMPTS="2",
        )
        client = own.client(stack.keys["acme"])
        doc = create(client)
        outage_moto.pause()  # accepts connections, never answers: the worst kind of outage
        try:
            for _ in range(8):
                started = time.monotonic()
                response = client.get(f"/v1/documents/{doc['id']}")
                assert time.monotonic() - started < 3.0, "bounded: attempts x timeouts"
                assert_problem(response, 503)
                assert response.headers["retry-after"].isdigit()
            ready = httpx.get(f"{own.url}/readyz")
            assert ready.status_code == 200
            wait_until(
                lambda: not httpx.get(f"{own.url}/readyz").json()["dependencies"]["dynamodb"]["up"],
                5, "the probe to report dynamodb down",
            )  # fmt: skip
            assert httpx.get(f"{own.url}/livez").status_code == 200
            assert (
                'depot_dependency_up{backend="dynamodb"} 0.0'
                in httpx.get(f"{own.url}/metrics").text
            )
        finally:
            outage_moto.resume()
        wait_until(lambda: client.get(f"/v1/documents/{doc['id']}").status_code == 200, 10,
                   "recovery without a restart")  # fmt: skip
    finally:
        outage_moto.stop()


def test_bad_configuration_stops_start_up_naming_the_variable() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEPOT_", "AWS_"))}
    env.update(
        {
            **FAKE_AWS,
            "AWS_REGION": "eu-west-1",
            "DEPOT_BUCKET_NAME": "ok-bucket",
            "DEPOT_KEYS_SECRET_ID": "s",
            "DEPOT_DRAIN_SECONDS": "-1",
            "PORT": "99999",
        }
    )
    result = subprocess.run(
        [sys.executable, "-m", "depot", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "DEPOT_TABLE_NAME: is required" in result.stderr
    assert "DEPOT_DRAIN_SECONDS" in result.stderr
    assert "DEPOT_PORT or PORT" in result.stderr


def test_sweeper_removes_abandoned_pending_documents(acme, depot, stack: Stack) -> None:
    abandoned = create(acme, "abandoned")
    kept = create(acme, "kept")
    assert upload(acme, kept["id"], b"done").status_code == 201
    time.sleep(1.1)
    env = {**os.environ, **stack.env()}
    result = subprocess.run(
        [sys.executable, "-m", "depot", "sweep", "--older-than", "1"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["swept_documents"] >= 1
    assert_problem(acme.get(f"/v1/documents/{abandoned['id']}"), 404)
    assert acme.get(f"/v1/documents/{kept['id']}/content").content == b"done"


def test_keys_cli_issues_lists_and_revokes(moto) -> None:
    stack = make_stack(moto.url, [])
    env = {**os.environ, **stack.env()}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "depot", "keys", *args], env=env, capture_output=True,
            text=True, timeout=60,
        )  # fmt: skip

    issued = json.loads(cli("issue", "--tenant", "initech", "--label", "ops").stdout)
    assert issued["key"].startswith("dpt_") and issued["tenant"] == "initech"
    listing = cli("list").stdout
    assert issued["id"] in listing and issued["key"] not in listing
    secret = boto3.client("secretsmanager", region_name=REGION, endpoint_url=stack.endpoint)
    stored = secret.get_secret_value(SecretId=stack.secret_id)["SecretString"]
    assert issued["key"] not in stored, "only hashes are stored"
    assert cli("revoke", "--key-id", issued["id"]).returncode == 0
    assert issued["id"] not in cli("list").stdout
    missing = cli("revoke", "--key-id", "key_01ARZ3NDEKTSV4RRFFQ69G5FAV")
    assert missing.returncode == 1 and "depot keys list" in missing.stderr
