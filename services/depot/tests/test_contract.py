"""Contract fuzzing: schemathesis against the served OpenAPI document, bounded budget.

Every response must conform to the schema (status, headers, body, content type) and no
request may produce a 5xx. Two checks are excluded, for reasons that no schema can
express:
- positive_data_acceptance: a schema-valid request can rightly be refused for the
  state it meets (a stale If-Match → 412, a reused Idempotency-Key → 422, a digest
  that does not match the body → 400);
- ensure_resource_availability: replaying an Idempotency-Key returns the original 201
  even after that document was deleted, which is what idempotency means.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Stack

BUDGET = {"max_examples": "25", "max_time": "90", "seed": "20261125"}


@pytest.mark.timeout(300)
def test_schemathesis_finds_no_5xx_and_no_schema_violation(
    start_depot, stack: Stack, tmp_path: Path
) -> None:
    own = start_depot(stack)
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run", f"{own.url}/openapi.json",
        "--header", f"Authorization: Bearer {stack.keys['acme']}",
        "--checks", "all",
        "--exclude-checks", "positive_data_acceptance,ensure_resource_availability",
        "--max-examples", BUDGET["max_examples"],
        "--max-time", BUDGET["max_time"],
        "--seed", BUDGET["seed"],
        "--request-timeout", "10",
        "--no-color",
        "--report", "junit", "--report-dir", str(tmp_path),
    ]  # fmt: skip
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=280, env={**os.environ, "NO_COLOR": "1"}
    )
    summary = result.stdout[-6000:]
    assert result.returncode == 0, summary
    assert "Server error" not in result.stdout, summary
    assert "5xx" not in own.logs() and '"status": 500' not in own.logs()
