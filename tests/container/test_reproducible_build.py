"""Reproducible build (ADR 0053): two builds of the same commit, each from scratch (no
layer cache), give the same layer digests. What makes it hold: every download is hashed
by uv.lock and the project's own install runs offline; SOURCE_DATE_EPOCH turns the
compiled bytecode into checked-hash .pyc (no install time inside a file); the builder's
--timestamp clamps every file time in the layers to that same epoch."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.container.conftest import BUILD_CONTEXT, build_args, source_date_epoch
from tests.container.podman import Podman

REPRO_REFS = ("localhost/depot:repro-a", "localhost/depot:repro-b")


@pytest.fixture
def two_builds(podman: Podman, base_images: dict[str, str]) -> Iterator[list[list[str]]]:
    epoch = source_date_epoch()
    layers = []
    try:
        for ref in REPRO_REFS:
            podman(
                "build",
                "--no-cache",
                f"--timestamp={epoch}",
                *build_args(base_images, ref),
                f"--build-arg=SOURCE_DATE_EPOCH={epoch}",
                str(BUILD_CONTEXT),
                timeout=900,
            )
            layers.append(list(podman.inspect_image(ref)["RootFS"]["Layers"]))
        yield layers
    finally:
        podman("rmi", "--force", *REPRO_REFS, check=False, timeout=300)


def test_two_builds_of_one_commit_give_the_same_layers(two_builds: list[list[str]]) -> None:
    first, second = two_builds
    assert len(first) >= 2, "expected the base's layer and the service's"
    assert first == second, (
        "a rebuild of the same commit changed a layer: something time- or order-dependent"
        f" entered the image\n{first}\n{second}"
    )
