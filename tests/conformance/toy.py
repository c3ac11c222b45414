"""Builds of the toy service (broken/toy.py) with podman, from the local stand-in of the
platform's Python base (scripts/setup/base-image.sh): nothing is pulled."""

from __future__ import annotations

from pathlib import Path

from tests.container.podman import Podman

BROKEN = Path(__file__).parent / "broken"
# The image flaw: its USER is root (everything else conforms).
ROOT_FLAW = "root"


def build_toy(podman: Podman, base_image: str, flaw: str) -> str:
    ref = f"localhost/conformance-toy:{flaw}"
    args = [f"--build-arg=BASE_IMAGE={base_image}"]
    if flaw == ROOT_FLAW:
        args.append("--build-arg=USER=0:0")
    else:
        args.append(f"--build-arg=FLAW={flaw}")
    podman(
        # --no-cache: podman 4.3 reuses a cached ENV or USER layer whatever the build
        # argument it expands (see tests/container/conftest.py), so every flaw would
        # get the first build's. The build is one small COPY.
        *("build", "--pull=never", "--no-cache", "--format=docker", *args, f"--tag={ref}"),
        *(f"--file={BROKEN / 'Containerfile'}", str(BROKEN)),
        timeout=300,
    )
    return ref
