"""Facts read from the rule sources and the promtool test files, for the tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from observability.generate import rules
from tests.support.tools import ROOT

UNIT_TEST_DIR = ROOT / "observability" / "rules" / "tests"
RUNBOOK_DIR = ROOT / "docs" / "runbooks"


def unit_test_files() -> list[Path]:
    return sorted(UNIT_TEST_DIR.glob("*.test.yaml"))


def alerts(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for group in doc["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                yield rule


def all_alerts() -> list[dict[str, Any]]:
    service = list(alerts(rules.render_plain(rules.SERVICE_SOURCES)))
    return service + list(alerts(rules.render_plain([rules.PLATFORM_SOURCE])))


def unit_tested(expect_firing: bool) -> set[str]:
    """Alert names with a promtool case that expects them to fire (or expects silence)."""
    names: set[str] = set()
    for path in unit_test_files():
        for test in yaml.safe_load(path.read_text())["tests"]:
            for case in test.get("alert_rule_test", []):
                if bool(case.get("exp_alerts")) == expect_firing:
                    names.add(case["alertname"])
    return names
