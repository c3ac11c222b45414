"""The generated service's image: built from the one services/Dockerfile with
`--build-arg SERVICE=<name>` (the template writes no Dockerfile) and held to the
platform's contract by the conformance suite (`make conformance IMAGE=...
CONTRACT=services/<name>/conformance.yaml`, the same run in-process), as an HTTP service:
probes, hardening, the SLO series, JSON logs, drain, configuration refused when wrong."""

from __future__ import annotations

import pytest

from tests.conformance.conftest import Conform, conformance, helm
from tests.conformance.test_depot import CHECKS
from tests.container.conftest import BuiltImage, base_images, build_service_image, podman
from tests.container.podman import Podman
from tests.template.conftest import Generated

# Fixtures of tests/container and tests/conformance, used here under the same names.
__all__ = ["base_images", "conformance", "helm", "podman"]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


@pytest.fixture(scope="module")
def image(podman: Podman, base_images: dict[str, str], generated: Generated) -> BuiltImage:
    ref = f"localhost/{generated.name}:template-test"
    return build_service_image(podman, base_images, generated.name, ref, generated.root)


def test_the_generated_service_image_conforms(
    conformance: Conform, image: BuiltImage, generated: Generated
) -> None:
    contract = generated.root / "services" / generated.name / "conformance.yaml"
    findings = conformance(image.ref, contract)
    failures = [f.render() for f in findings if not f.ok]
    assert failures == [], "\n".join(failures)
    assert {f.check for f in findings} == CHECKS
