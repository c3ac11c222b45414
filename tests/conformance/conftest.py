"""Fixtures of the conformance tests: podman and the images from the container tests
(the depot image is built once, by tests/container's fixture), helm for the chart, the
toy images of broken/, and each image's conformance run, done once per session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conformance.toy import build_toy
from tests.container.conftest import base_images, depot_image, podman, verifier_image
from tests.container.podman import Podman
from tests.support.tools import ROOT, require_tool
from tools.conformance.contract import load_contract
from tools.conformance.findings import Finding
from tools.conformance.run import conform

# Fixtures of tests/container, used here under the same names.
__all__ = ["base_images", "depot_image", "podman", "verifier_image"]

DEPOT_CONTRACT = ROOT / "services" / "depot" / "conformance.yaml"
VERIFIER_CONTRACT = ROOT / "services" / "verifier" / "conformance.yaml"
TOY_CONTRACT = Path(__file__).parent / "broken" / "conformance.yaml"
Conform = Callable[[str, Path], list[Finding]]


@pytest.fixture(scope="session")
def helm() -> str:
    return require_tool("helm", "scripts/setup/helm.sh")


@pytest.fixture(scope="session")
def conformance(podman: Podman, helm: str) -> Conform:
    """conformance(image, contract) -> findings, each image run once per session."""
    done: dict[tuple[str, Path], list[Finding]] = {}

    def run(image: str, contract: Path) -> list[Finding]:
        if (image, contract) not in done:
            done[image, contract] = conform(podman, helm, image, load_contract(contract))
        return done[image, contract]

    return run


@pytest.fixture(scope="session")
def toy(podman: Podman, base_images: dict[str, str]) -> Callable[[str], str]:
    """toy(flaw) -> the reference of the toy image with that flaw, built once."""
    built: dict[str, str] = {}

    def image(flaw: str) -> str:
        if flaw not in built:
            built[flaw] = build_toy(podman, base_images["BASE_IMAGE"], flaw)
        return built[flaw]

    return image
