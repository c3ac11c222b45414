"""values.schema.json covers every value in values.yaml, describes each, and closes
every object to unknown keys."""

from __future__ import annotations

import json
from typing import Any

import yaml

from tests.chart.rendering import CHART

SCHEMA = json.loads((CHART / "values.schema.json").read_text())
DEFAULTS = yaml.safe_load((CHART / "values.yaml").read_text())


def _walk(schema: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = [(path or "<root>", schema)]
    for name, child in schema.get("properties", {}).items():
        found += _walk(child, f"{path}.{name}" if path else name)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        found += _walk(extra, f"{path}.*")
    if isinstance(schema.get("items"), dict):
        found += _walk(schema["items"], f"{path}[]")
    return found


def test_every_schema_node_is_described() -> None:
    # Plain item types of maps and lists (e.g. env's string values) are described by
    # their parent.
    missing = [
        path
        for path, node in _walk(SCHEMA)
        if not node.get("description")
        and not (path.endswith((".*", "[]")) and node.get("type") != "object")
    ]
    assert not missing, missing


def test_every_object_rejects_unknown_keys() -> None:
    open_objects = [
        path
        for path, node in _walk(SCHEMA)
        if node.get("type") == "object"
        and "additionalProperties" not in node
        and path != "global"  # reserved by Helm for parent charts
    ]
    assert not open_objects, open_objects


def _leaves(values: Any, schema: dict[str, Any], path: str) -> list[str]:
    """Paths of values.yaml that the schema does not declare."""
    if not isinstance(values, dict) or schema.get("type") != "object":
        return []
    properties = schema.get("properties", {})
    undeclared: list[str] = []
    for key, value in values.items():
        child = properties.get(key)
        if child is None and not isinstance(schema.get("additionalProperties"), dict):
            undeclared.append(f"{path}{key}")
        elif child is not None:
            undeclared += _leaves(value, child, f"{path}{key}.")
    return undeclared


def test_every_default_value_is_declared() -> None:
    assert not _leaves(DEFAULTS, SCHEMA, ""), _leaves(DEFAULTS, SCHEMA, "")
