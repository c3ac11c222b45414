"""Each platform the release ships is pushed once by digest, and that digest is scanned,
run and given an SBOM before the tagged manifest list is made of exactly those digests."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.delivery import release_platforms
from tests.delivery.test_workflows import WORKFLOWS, load

Job = dict[str, Any]


def image_job() -> Job:
    return dict(load(WORKFLOWS / "release.yml")["jobs"]["image"])


def _step(job: Job, name: str) -> dict[str, Any]:
    return next(s for s in job["steps"] if s.get("id") == name or s.get("name") == name)


def test_the_release_ships_the_bytes_it_scanned() -> None:
    job = image_job()
    assert release_platforms.violations(job) == []
    assert release_platforms.builds(job["steps"]) == {
        "build-amd64": "linux/amd64",
        "build-arm64": "linux/arm64",
    }


def _previous_shape(job: Job) -> None:
    """What the release did before: scan a local amd64 build, push a fresh multi-arch one."""
    steps = [s for s in job["steps"] if not str(s.get("id", "")).startswith("build-")]
    steps.insert(
        0,
        {
            "id": "push",
            "uses": "docker/build-push-action@4f58ea79222b3b9dc2c8bbdd6debcef730109a75",
            "with": {"platforms": "linux/amd64,linux/arm64", "push": True, "tags": "x"},
        },
    )
    job["steps"] = steps


def _arm64_unscanned(job: Job) -> None:
    job["steps"] = [s for s in job["steps"] if s.get("name") != "scan gate (arm64)"]


def _gate_that_never_fails(job: Job) -> None:
    _step(job, "scan gate (amd64)")["with"]["exit-code"] = "0"


def _list_of_other_bytes(job: Job) -> None:
    _step(job, "push")["env"]["ARM64"] = "${{ steps.rebuild.outputs.digest }}"


def _sbom_not_attested(job: Job) -> None:
    step = _step(job, "sign and attest (keyless)")
    step["run"] = step["run"].replace("--predicate sbom-arm64.cdx.json", "--predicate other.json")


def _arm64_never_run(job: Job) -> None:
    step = _step(job, "run each platform's image")
    step["run"] = step["run"].replace("--platform linux/arm64", "--platform linux/amd64")


def _scanned_after_tagging(job: Job) -> None:
    steps = job["steps"]
    gate = _step(job, "scan gate (arm64)")
    steps.remove(gate)
    steps.append(gate)


def _attestations_in_the_build(job: Job) -> None:
    _step(job, "build-amd64")["with"]["provenance"] = "mode=max"


def _list_unsigned(job: Job) -> None:
    step = _step(job, "sign and attest (keyless)")
    step["run"] = step["run"].replace('cosign sign --yes "$IMAGE@$DIGEST"\n', "")


def _arm64_unsigned(job: Job) -> None:
    step = _step(job, "sign and attest (keyless)")
    step["run"] = step["run"].replace('cosign sign --yes "$IMAGE@$ARM64"\n', "")


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (_previous_shape, "builds several platforms at once"),
        (_arm64_unscanned, "linux/arm64: its digest is not scanned as a gate"),
        (_gate_that_never_fails, "linux/amd64: its digest is not scanned as a gate"),
        (_list_of_other_bytes, "the manifest list is made of"),
        (_sbom_not_attested, "linux/arm64: SBOM sbom-arm64.cdx.json is not attested"),
        (_arm64_never_run, "linux/arm64: its digest is never run"),
        (_scanned_after_tagging, "linux/arm64: its digest is not scanned as a gate before"),
        (_attestations_in_the_build, "attestations make the digest an index"),
        (_list_unsigned, "the manifest list is not signed"),
        (_arm64_unsigned, "linux/arm64: its digest is not signed"),
    ],
    ids=lambda value: getattr(value, "__name__", "")[1:] or None,
)
def test_a_release_that_ships_other_bytes_than_it_checked_is_refused(
    breakage: Callable[[Job], None], expected: str
) -> None:
    job = copy.deepcopy(image_job())
    breakage(job)
    errors = release_platforms.violations(job)
    assert any(expected in error for error in errors), errors
