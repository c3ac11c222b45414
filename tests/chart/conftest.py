"""Fixtures of the chart tests: the helm binary and each combination rendered once."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.chart.rendering import ALL_COMBOS, Combo, Manifest, helm_template
from tests.support.tools import require_tool

Renderer = Callable[[Combo], list[Manifest]]
_cache: dict[str, list[Manifest]] = {}


@pytest.fixture(scope="session")
def helm() -> str:
    return require_tool("helm", "scripts/setup/helm.sh")


@pytest.fixture(scope="session")
def render(helm: str) -> Renderer:
    """render(combo) -> manifests, cached for the session (one helm run per combination)."""

    def _render(combo: Combo) -> list[Manifest]:
        if combo.id not in _cache:
            _cache[combo.id] = helm_template(helm, combo.helm_args())
        return _cache[combo.id]

    return _render


@pytest.fixture(params=ALL_COMBOS, ids=lambda c: c.id)
def combo(request: pytest.FixtureRequest) -> Combo:
    return request.param  # type: ignore[no-any-return]
