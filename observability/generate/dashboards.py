"""Render dashboards/panels.py into Grafana JSON (schema 39) and sidecar ConfigMaps."""

from __future__ import annotations

import json
from typing import Any

from observability.dashboards.model import Dashboard, Panel
from observability.dashboards.panels import DASHBOARDS

# kube-prometheus-stack's Grafana sidecar loads every ConfigMap with this label.
SIDECAR_LABEL = {"grafana_dashboard": "1"}
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
_WIDTH, _HEIGHT = 12, 8


def _variables() -> list[dict[str, Any]]:
    def query_var(name: str, query: str) -> dict[str, Any]:
        return {
            "name": name,
            "label": name,
            "type": "query",
            "datasource": DATASOURCE,
            "query": {"query": query, "refId": name},
            "definition": query,
            "refresh": 2,
            "sort": 1,
            "includeAll": False,
            "multi": False,
        }

    return [
        {
            "name": "datasource",
            "label": "Data source",
            "type": "datasource",
            "query": "prometheus",
            "refresh": 1,
            "current": {"text": "Prometheus", "value": "prometheus"},
        },
        query_var("namespace", 'label_values(up{service!=""}, namespace)'),
        query_var("service", 'label_values(up{namespace="$namespace"}, service)'),
    ]


def _panel(panel: Panel, index: int) -> dict[str, Any]:
    steps: list[dict[str, Any]] = [{"color": "red" if panel.thresholds else "green", "value": None}]
    steps += [{"color": colour, "value": value} for value, colour in panel.thresholds]
    return {
        "id": index + 1,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": DATASOURCE,
        "gridPos": {
            "x": (index % 2) * _WIDTH,
            "y": (index // 2) * _HEIGHT,
            "w": _WIDTH,
            "h": _HEIGHT,
        },
        "fieldConfig": {
            "defaults": {
                "unit": panel.unit,
                "thresholds": {"mode": "absolute", "steps": steps},
            },
            "overrides": [],
        },
        "options": {},
        "targets": [
            {
                "refId": chr(ord("A") + i),
                "datasource": DATASOURCE,
                "expr": query.expr,
                "legendFormat": query.legend,
            }
            for i, query in enumerate(panel.queries)
        ],
    }


def render_json(dashboard: Dashboard) -> dict[str, Any]:
    return {
        "uid": dashboard.uid,
        "title": dashboard.title,
        "description": dashboard.description,
        "tags": list(dashboard.tags),
        "editable": False,
        "schemaVersion": 39,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "1m",
        "templating": {"list": _variables()},
        "annotations": {"list": []},
        "panels": [_panel(p, i) for i, p in enumerate(dashboard.panels)],
        "__generated": "observability/dashboards/panels.py; `make observability-generate`",
    }


def json_text(dashboard: Dashboard) -> str:
    return json.dumps(render_json(dashboard), indent=2, sort_keys=False) + "\n"


def configmap(dashboard: Dashboard) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": f"dashboard-{dashboard.uid}",
            "namespace": "monitoring",
            "labels": {**SIDECAR_LABEL, "app.kubernetes.io/part-of": "platform-observability"},
        },
        "data": {f"{dashboard.uid}.json": json_text(dashboard)},
    }


def all_dashboards() -> tuple[Dashboard, ...]:
    return DASHBOARDS
