"""Reading `terraform show -json` plans: planned resources by type and address."""

from __future__ import annotations

from typing import Any


def planned(
    plan: dict[str, Any], resource_type: str, *, action: str = "create"
) -> dict[str, dict[str, Any]]:
    """address => planned values of every `resource_type` the plan will `action`."""
    return {
        change["address"]: change["change"]["after"]
        for change in plan["resource_changes"]
        if change["type"] == resource_type and action in change["change"]["actions"]
    }


def one(plan: dict[str, Any], resource_type: str, name_part: str = "") -> dict[str, Any]:
    matches = {a: v for a, v in planned(plan, resource_type).items() if name_part in a}
    assert len(matches) == 1, (
        f"expected one planned {resource_type} matching {name_part!r}: {sorted(matches)}"
    )
    return next(iter(matches.values()))
