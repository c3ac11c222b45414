"""Fixtures of the observability tests: the tools, and the rule sources rendered once."""

from __future__ import annotations

from pathlib import Path

import pytest

from observability.generate import rules
from observability.generate.yamlio import dump
from tests.support.tools import require_tool

SETUP = "scripts/setup/prometheus.sh"


@pytest.fixture(scope="session")
def promtool() -> str:
    return require_tool("promtool", SETUP)


@pytest.fixture(scope="session")
def amtool() -> str:
    return require_tool("amtool", SETUP)


@pytest.fixture(scope="session")
def rendered_rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rule sources as plain rule files, under the names the promtool tests use."""
    out = tmp_path_factory.mktemp("rules")
    files = {
        "service.rules.yaml": rules.render_plain(rules.SERVICE_SOURCES),
        "service-essential.rules.yaml": rules.render_plain(
            rules.SERVICE_SOURCES, rule_set="essential"
        ),
        "platform.rules.yaml": rules.render_plain([rules.PLATFORM_SOURCE]),
    }
    for name, doc in files.items():
        (out / name).write_text(dump(doc))
    return out
