"""Reading IAM policy documents the way the least-privilege tests need them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Statement:
    sid: str
    effect: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    resources: tuple[str, ...]
    condition: dict[str, Any]


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def statements(document: dict[str, Any]) -> list[Statement]:
    raw = document["Statement"]
    return [
        Statement(
            sid=s.get("Sid", ""),
            effect=s["Effect"],
            actions=_as_tuple(s.get("Action")),
            not_actions=_as_tuple(s.get("NotAction")),
            resources=_as_tuple(s.get("Resource")),
            condition=s.get("Condition", {}),
        )
        for s in ([raw] if isinstance(raw, dict) else raw)
    ]


def allows(document: dict[str, Any]) -> list[Statement]:
    return [s for s in statements(document) if s.effect == "Allow"]


def full_wildcard_actions(document: dict[str, Any]) -> list[Statement]:
    """Allow statements granting every action ('*') or everything-but (NotAction)."""
    return [s for s in allows(document) if "*" in s.actions or s.not_actions]


def star_resource_actions(document: dict[str, Any]) -> set[str]:
    """Actions an Allow statement grants on Resource '*'."""
    return {a for s in allows(document) if "*" in s.resources for a in s.actions}


def allowed_actions(document: dict[str, Any]) -> set[str]:
    return {a for s in allows(document) for a in s.actions}


def resources_of(document: dict[str, Any], action: str) -> set[str]:
    return {r for s in allows(document) if action in s.actions for r in s.resources}
