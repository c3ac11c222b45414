"""Alertmanager routing: valid, every route tested with amtool, no inline credentials.

Inhibition, which `amtool config routes test` ignores, is tested on a live Alertmanager
in test_live.py.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.tools import ROOT

SOURCE = ROOT / "observability" / "alertmanager" / "alertmanager.yaml"
DEPLOYED = ROOT / "gitops" / "platform" / "observability" / "alertmanager" / "config.yaml"
CASES = yaml.safe_load((ROOT / "observability" / "alertmanager" / "routes.test.yaml").read_text())[
    "cases"
]
# Keys that would hold a credential inline; each has a *_file twin that must be used.
INLINE_SECRET_KEYS = {
    "routing_key",
    "service_key",
    "api_url",
    "api_key",
    "password",
    "bearer_token",
    "credentials",
    "auth_password",
    "webhook_url",
}


def _config() -> dict[str, Any]:
    return yaml.safe_load(SOURCE.read_text())  # type: ignore[no-any-return]


def _routes(route: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield route
    for child in route.get("routes", []):
        yield from _routes(child)


def _keys(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _keys(value)
    elif isinstance(node, list):
        for item in node:
            yield from _keys(item)


def test_amtool_accepts_the_config(amtool: str) -> None:
    result = subprocess.run([amtool, "check-config", str(SOURCE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_deployed_secret_carries_the_source_verbatim(amtool: str, tmp_path: Path) -> None:
    secret = yaml.safe_load(DEPLOYED.read_text())
    assert secret["kind"] == "Secret" and secret["metadata"]["namespace"] == "monitoring"
    deployed = secret["stringData"]["alertmanager.yaml"]
    assert deployed == SOURCE.read_text()
    (tmp_path / "am.yaml").write_text(deployed)
    result = subprocess.run(
        [amtool, "check-config", str(tmp_path / "am.yaml")], capture_output=True
    )
    assert result.returncode == 0


def _route_test(
    amtool: str, receiver: str, labels: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            amtool,
            "config",
            "routes",
            "test",
            f"--config.file={SOURCE}",
            f"--verify.receivers={receiver}",
            *(f"{k}={v}" for k, v in labels.items()),
        ],
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_route(amtool: str, case: dict[str, Any]) -> None:
    result = _route_test(amtool, case["receiver"], case["labels"])
    assert result.returncode == 0, f"{case['name']}: {result.stdout}{result.stderr}"


def test_a_wrong_expectation_fails(amtool: str) -> None:
    """The route test can fail: a page must not reach the ticket receiver."""
    result = _route_test(amtool, "depot-tickets", {"severity": "page", "team": "depot"})
    assert result.returncode != 0


def test_every_receiver_in_the_routes_has_a_case() -> None:
    used = {r["receiver"] for r in _routes(_config()["route"]) if "receiver" in r}
    assert used - {c["receiver"] for c in CASES} == set()


def test_watchdog_goes_to_the_heartbeat_and_is_never_inhibited() -> None:
    config = _config()
    first = config["route"]["routes"][0]
    assert first["matchers"] == ['alertname="Watchdog"'] and first["receiver"] == "heartbeat"
    assert first["repeat_interval"] == "1m", "the heartbeat expects a ping every minute"
    for rule in config["inhibit_rules"]:
        assert not any("heartbeat" in m for m in rule["target_matchers"])


def test_receivers_reference_credentials_by_file() -> None:
    for receiver in _config()["receivers"]:
        inline = INLINE_SECRET_KEYS & set(_keys(receiver))
        assert not inline, f"receiver {receiver['name']} has inline credentials: {inline}"
        files = [k for k in _keys(receiver) if k.endswith("_file")]
        assert files, f"receiver {receiver['name']} reads no credential file"
