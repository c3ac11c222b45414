"""The configs `make up` loads come from the project's sources: the chart's rules
(unchanged in real time, compressed and labelled otherwise) and the real routing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from observability.generate import rules
from tests.observability import live_configs
from tools.up import configs


def _alerts(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for g in doc["groups"] for r in g["rules"] if "alert" in r]


def test_real_time_is_exactly_the_rendering_the_chart_is_checked_against() -> None:
    assert configs.service_rules(1) == rules.render_plain(rules.SERVICE_SOURCES)
    assert not any(
        configs.COMPRESSION_LABEL in a["labels"] for a in _alerts(configs.service_rules(1))
    )


def test_compressed_rules_keep_names_and_thresholds_and_say_so_on_every_alert() -> None:
    real, fast = configs.service_rules(1), configs.service_rules(60)
    assert [a["alert"] for a in _alerts(real)] == [a["alert"] for a in _alerts(fast)]
    for alert in _alerts(fast):
        assert alert["labels"][configs.COMPRESSION_LABEL] == "60x"
    page = next(a for a in _alerts(fast) if a["alert"] == "ServiceAvailabilityFastBurn")
    assert page["for"] == "2s" and "14.4 * (1 - 99.9 / 100)" in str(page["expr"])


def test_alertmanager_keeps_the_platform_routing(tmp_path: Path) -> None:
    source = yaml.safe_load(live_configs.ALERTMANAGER.read_text())
    local = yaml.safe_load(configs.alertmanager_config(tmp_path, "http://127.0.0.1:1").read_text())
    assert local["inhibit_rules"] == source["inhibit_rules"]
    assert {r["name"] for r in local["receivers"]} == {r["name"] for r in source["receivers"]}
    pager = next(r for r in local["receivers"] if r["name"] == "depot-pager")
    assert pager["webhook_configs"][0]["url"] == "http://127.0.0.1:1/depot-pager"
