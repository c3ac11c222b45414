"""depot's image, as the container tests build it, meets the contract it asks other
services to meet: every check of every kind passes."""

from __future__ import annotations

from tests.conformance.conftest import DEPOT_CONTRACT, Conform
from tests.container.conftest import BuiltImage

# Every kind of check a run makes; a run that skipped one could not pass this test.
CHECKS = {"user", "probes", "metrics", "drain", "logs", "configuration"}


def test_depot_conforms(conformance: Conform, depot_image: BuiltImage) -> None:
    findings = conformance(depot_image.ref, DEPOT_CONTRACT)
    failures = [f.render() for f in findings if not f.ok]
    assert failures == [], "\n".join(failures)
    assert {f.check for f in findings} == CHECKS
