"""The API contract as clients see it: schemathesis through nginx to two replicas.

The service's own suite fuzzes one process directly. Here the proxy sits in between, so
anything it answers itself (a 502, an HTML error page, a stripped header) would break
the contract: zero 5xx, zero schema violations, and afterwards zero cross-tenant reads.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.reliability.deployment import Deployment
from tests.reliability.procs import DEPOT_PYTHON, RecordProperty, Resources

# Fixed and bounded: same seed every run, at most 30 s of generation.
BUDGET = {"max_examples": "10", "max_time": "30", "seed": "20261126"}
MAX_PAGES = 50


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, nginx_binary: str, resources: Resources
) -> Iterator[Deployment]:
    env = {**resources.env(), "DEPOT_LOG_LEVEL": "INFO"}
    started = Deployment.start(tmp_path_factory.mktemp("contract"), nginx_binary, env, 2)
    try:
        yield started
    finally:
        started.stop()


def _ids(url: str, key: str) -> list[str]:
    ids: list[str] = []
    cursor = None
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}) as client:
        for _ in range(MAX_PAGES):
            params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            page = client.get("/v1/documents", params=params, timeout=10).json()
            ids += [item["id"] for item in page["items"]]
            cursor = page.get("next_cursor")
            if not cursor:
                break
    return ids


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_fuzzing_through_the_proxy_no_5xx_no_violation_no_cross_tenant_read(
    deployment: Deployment,
    resources: Resources,
    tmp_path: Path,
    record_property: RecordProperty,
) -> None:
    command = [
        str(DEPOT_PYTHON.with_name("schemathesis")),
        "run", f"{deployment.url}/openapi.json",
        "--header", f"Authorization: Bearer {resources.keys['acme']}",
        "--checks", "all",
        # As in the service's suite: a valid request can rightly be refused for the state
        # it meets (stale If-Match, reused Idempotency-Key), and an idempotent replay
        # returns the original 201 even after a delete. Plus one for the edge: the ALB
        # (like nginx) answers TRACE itself with a bare 405 that has no Allow header, so
        # undeclared methods are checked against the service directly (its own suite) and
        # at the edge by the test below.
        "--exclude-checks",
        "positive_data_acceptance,ensure_resource_availability,unsupported_method",
        "--max-examples", BUDGET["max_examples"],
        "--max-time", BUDGET["max_time"],
        "--seed", BUDGET["seed"],
        "--request-timeout", "10",
        "--no-color",
        "--report", "junit", "--report-dir", str(tmp_path),
    ]  # fmt: skip
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=280,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )
    summary = result.stdout[-6000:]
    assert result.returncode == 0, summary
    assert "Server error" not in result.stdout, summary
    access = (deployment.lb.workdir / "access.log").read_text().splitlines()
    server_errors = [line for line in access if line.split()[1].startswith("5")]
    record_property("contract_requests_through_proxy", len(access))
    assert len(access) > 100, "the fuzzer sent almost nothing: the run proves nothing"
    assert server_errors == [], f"5xx at the proxy: {server_errors[:5]}"

    acme = _ids(deployment.url, resources.keys["acme"])
    assert acme, "the fuzzer created no document to attempt to read across tenants"
    assert _ids(deployment.url, resources.keys["globex"]) == []
    headers = {"Authorization": f"Bearer {resources.keys['globex']}"}
    with httpx.Client(base_url=deployment.url, headers=headers, timeout=10) as client:
        for doc_id in acme[:50]:
            assert client.get(f"/v1/documents/{doc_id}").status_code == 404
            assert client.get(f"/v1/documents/{doc_id}/content").status_code == 404


def test_trace_is_refused_at_the_edge(deployment: Deployment) -> None:
    """The ALB refuses TRACE with 405 by itself; nginx is configured the same way. It must
    never reach a replica (no echo of credentials), and never be a 5xx."""
    response = httpx.request("TRACE", f"{deployment.url}/v1/documents", timeout=10)
    assert response.status_code == 405
    assert "x-request-id" not in response.headers, "TRACE reached the service"
