"""Dashboards: generated Grafana JSON, templated, shipped as sidecar ConfigMaps, and every
query valid PromQL (checked offline by promtool; run live in test_live.py)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from observability.dashboards.panels import DASHBOARDS
from observability.generate.yamlio import dump
from tests.observability.promql import all_dashboard_queries, substitute_variables
from tests.support.tools import ROOT

JSON_DIR = ROOT / "observability" / "dashboards"
CONFIGMAP_DIR = ROOT / "gitops" / "platform" / "observability" / "dashboards"


def test_the_four_dashboards_exist() -> None:
    assert {d.uid for d in DASHBOARDS} == {
        "service-red",
        "service-slo",
        "service-dependencies",
        "service-capacity",
    }


@pytest.mark.parametrize("uid", [d.uid for d in DASHBOARDS])
def test_dashboard_is_templated_by_datasource_namespace_and_service(uid: str) -> None:
    board = json.loads((JSON_DIR / f"{uid}.json").read_text())
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert {"namespace", "service"} <= variables.keys()
    assert board["panels"], "a dashboard without panels"
    for panel in board["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}"
        for target in panel["targets"]:
            assert "$namespace" in target["expr"] and "$service" in target["expr"], (
                f"{uid} / {panel['title']}: query not scoped to the selected service"
            )


@pytest.mark.parametrize("uid", [d.uid for d in DASHBOARDS])
def test_configmap_is_labelled_for_the_grafana_sidecar(uid: str) -> None:
    configmap = yaml.safe_load((CONFIGMAP_DIR / f"{uid}.yaml").read_text())
    assert configmap["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert configmap["data"][f"{uid}.json"] == (JSON_DIR / f"{uid}.json").read_text()


def test_every_query_is_valid_promql(promtool: str, tmp_path: Path) -> None:
    """promtool parses each query (as a recording rule); a typo fails here, offline."""
    queries = all_dashboard_queries()
    doc = {
        "groups": [
            {
                "name": "dashboards",
                "rules": [
                    {"record": f"dashboard:query:{i}", "expr": substitute_variables(q.expr)}
                    for i, (_, _, q) in enumerate(queries)
                ],
            }
        ]
    }
    (tmp_path / "queries.yaml").write_text(dump(doc))
    result = subprocess.run(
        [promtool, "check", "rules", str(tmp_path / "queries.yaml")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
