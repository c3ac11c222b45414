"""Fixtures of the admission-policy tests: the policies, the tenant namespace's labels,
and the chart rendered for every environment x profile."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.chart.rendering import ALL_COMBOS, Manifest, helm_template
from tests.policies.vap import Policy, load_policies
from tests.support.tools import ROOT, require_tool

POLICIES = ROOT / "gitops" / "policies"
NAMESPACES = ROOT / "gitops" / "platform" / "namespaces"


def namespace_objects(path: Path = NAMESPACES / "depot.yaml") -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


@pytest.fixture(scope="session")
def policies() -> dict[str, Policy]:
    return load_policies(POLICIES)


@pytest.fixture(scope="session")
def tenant_labels() -> dict[str, str]:
    """The labels the real depot Namespace carries (plus the one the API server adds)."""
    namespace = next(d for d in namespace_objects() if d["kind"] == "Namespace")
    return {
        "kubernetes.io/metadata.name": namespace["metadata"]["name"],
        **namespace["metadata"]["labels"],
    }


@pytest.fixture(scope="session")
def rendered(helm: str) -> Iterator[dict[str, list[Manifest]]]:
    yield {combo.id: helm_template(helm, combo.helm_args()) for combo in ALL_COMBOS}


@pytest.fixture(scope="session")
def helm() -> str:
    return require_tool("helm", "scripts/setup/helm.sh")
