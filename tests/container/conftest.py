"""Fixtures for the container tests: podman, the local base images, the built image,
and a hardened depot container against a moto server on loopback."""

from __future__ import annotations

import os
import subprocess
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.container.depot_container import DepotContainer, provision, start_depot
from tests.container.podman import CONFIG_DIR, Podman, read_images_env
from tests.support.moto import MotoServer
from tests.support.tools import ROOT, prerequisite_missing, require_tool

# One Dockerfile for every service (`--build-arg SERVICE=<name>`), its allow-list next
# to it. The build context is the repository root: each image holds the shared runtime
# (libs/service-runtime) too.
DOCKERFILE = ROOT / "services" / "Dockerfile"
DOCKERIGNORE = ROOT / "services" / "Dockerfile.dockerignore"
BUILD_CONTEXT = ROOT
IMAGE_REF = "localhost/depot:test"
# An image built elsewhere, from the real base (CI's image job loads it into podman and
# names it here): the image and run tests then check what ships instead of a build from
# the local stand-in bases.
SHIPPED_IMAGE_ENV = "DEPOT_IMAGE"
SOURCE_URL = "https://github.com/example-org/depot-platform"
# Conftests load at collection: a report written after this was written by this run.
SESSION_STARTED = time.time()


def _unavailable(message: str) -> None:
    """A missing prerequisite fails in CI (a skipped check proves nothing), skips locally."""
    prerequisite_missing(message)


@dataclass(frozen=True)
class BuiltImage:
    ref: str
    version: str
    revision: str
    base_image: str


@pytest.fixture(scope="session")
def podman() -> Podman:
    binary = require_tool("podman", "scripts/setup/podman.sh")
    for name in ("containers.conf", "storage.conf"):
        if not (CONFIG_DIR / name).is_file():
            _unavailable(f"{CONFIG_DIR / name} missing; run scripts/setup/podman.sh (make setup)")
    return Podman(binary)


@pytest.fixture(scope="session")
def base_images(podman: Podman) -> dict[str, str]:
    images = read_images_env()
    for key in ("BASE_IMAGE", "UV_IMAGE"):
        ref = images.get(key, "")
        if not ref or not podman.image_exists(ref):
            _unavailable(f"{key} not assembled; run scripts/setup/base-image.sh (make setup)")
    return images


def _package_version(service: str = "depot", root: Path = ROOT) -> str:
    with (root / "services" / service / "pyproject.toml").open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def _revision() -> str:
    result = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or "unknown"


def source_date_epoch() -> str:
    """The commit's time: what CI and the release pass as SOURCE_DATE_EPOCH."""
    result = subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%ct"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or "0"


def _ca_bundle() -> Path | None:
    """The host's CA bundle, handed to the build as a secret: on machines behind a
    TLS-inspecting proxy uv inside the build needs it to reach PyPI."""
    for candidate in (os.environ.get("SSL_CERT_FILE"), "/etc/ssl/certs/ca-certificates.crt"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def drop_stale_runtime_layers(podman: Podman, image: BuiltImage, service: str = "depot") -> None:
    """Remove cached runtime-stage layers built with other build arguments.

    podman 4.3 (buildah 1.28) keys a cached LABEL/ENV layer on the instruction's text,
    not on the build arguments it expands, so a new revision would reuse the old
    labels. Every runtime-stage layer carries the image's labels (they come first), so
    the stale ones are found by label; the build stage's layers (the dependencies)
    carry none and stay cached. This also stops old layers piling up in .cache.
    """
    expected = {
        "org.opencontainers.image.version": image.version,
        "org.opencontainers.image.revision": image.revision,
        "org.opencontainers.image.base.name": image.base_image,
    }
    listed = podman(
        *("images", "--all", "--noheading", "--no-trunc", "--format={{.ID}}"),
        f"--filter=label=org.opencontainers.image.title={service}",
    ).stdout.split()
    stale = [
        image_id
        for image_id in dict.fromkeys(listed)
        if any(
            podman.inspect_image(image_id)["Config"]["Labels"].get(key) != value
            for key, value in expected.items()
        )
    ]
    if stale:
        podman("rmi", "--force", *stale, check=False, timeout=300)


def shipped_image(podman: Podman, ref: str) -> BuiltImage:
    """An image built from the real base elsewhere; what it claims to be comes from its
    own labels, and its version must still be the package's."""
    if not podman.image_exists(ref):
        pytest.fail(f"{SHIPPED_IMAGE_ENV}={ref} is not in podman's store (podman load it first)")
    labels = podman.inspect_image(ref)["Config"]["Labels"]
    return BuiltImage(
        ref,
        labels["org.opencontainers.image.version"],
        labels["org.opencontainers.image.revision"],
        labels["org.opencontainers.image.base.name"],
    )


@pytest.fixture(scope="session")
def depot_image(podman: Podman, request: pytest.FixtureRequest) -> BuiltImage:
    """The image, built from the shipped Dockerfile; only the base references differ. With
    DEPOT_IMAGE set, the image built from the real base instead."""
    shipped = os.environ.get(SHIPPED_IMAGE_ENV)
    if shipped:
        return shipped_image(podman, shipped)
    base_images: dict[str, str] = request.getfixturevalue("base_images")
    return build_service_image(podman, base_images, "depot", IMAGE_REF)


@pytest.fixture(scope="session")
def verifier_image(podman: Podman, base_images: dict[str, str]) -> BuiltImage:
    """The event-driven worker's image, from the same Dockerfile as depot's."""
    return build_service_image(podman, base_images, "verifier", "localhost/verifier:test")


def build_service_image(
    podman: Podman, base_images: dict[str, str], service: str, ref: str, root: Path = ROOT
) -> BuiltImage:
    """Build one service's image from the shipped Dockerfile and the local stand-in bases
    (`root`: another copy of the repository, e.g. one with a generated service)."""
    version = _package_version(service, root)
    image = BuiltImage(ref, version, _revision(), base_images["BASE_IMAGE"])
    drop_stale_runtime_layers(podman, image, service)
    podman("build", *build_args(base_images, ref, service, root), str(root), timeout=900)
    return image


def build_args(
    base_images: dict[str, str], ref: str, service: str = "depot", root: Path = ROOT
) -> list[str]:
    """`podman build` options for the shipped Dockerfile from the local stand-in bases."""
    args = [
        "--pull=never",
        # The build stage fetches wheels from PyPI; host networking reaches it the same
        # way the host does.
        "--network=host",
        # Docker format keeps HEALTHCHECK (OCI image config has no field for it).
        "--format=docker",
        f"--build-arg=BASE_IMAGE={base_images['BASE_IMAGE']}",
        f"--build-arg=UV_IMAGE={base_images['UV_IMAGE']}",
        f"--build-arg=SERVICE={service}",
        f"--build-arg=VERSION={_package_version(service, root)}",
        f"--build-arg=REVISION={_revision()}",
        f"--tag={ref}",
        f"--file={root / DOCKERFILE.relative_to(ROOT)}",
        # BuildKit finds <Dockerfile>.dockerignore by itself; podman 4 is told.
        f"--ignorefile={root / DOCKERIGNORE.relative_to(ROOT)}",
    ]
    ca_bundle = _ca_bundle()
    if ca_bundle:
        args.append(f"--secret=id=ca-bundle,src={ca_bundle}")
    return args


@pytest.fixture(scope="session")
def depot_stack(
    moto_server: MotoServer, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, object]:
    """Table, bucket and key secret on the moto server, created by the service's own CLI."""
    return provision(moto_server.url, tmp_path_factory.mktemp("provision"))


@pytest.fixture(scope="module")
def depot(
    podman: Podman, depot_image: BuiltImage, moto_server: MotoServer, depot_stack: dict[str, object]
) -> Iterator[DepotContainer]:
    container = start_depot(podman, depot_image.ref, moto_server.url, depot_stack)
    try:
        yield container
    finally:
        podman.remove(container.name)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the image size at the end of the run, where a reader of CI logs looks."""
    from tests.container.test_image import SIZE_REPORT

    if SIZE_REPORT.is_file() and SIZE_REPORT.stat().st_mtime >= SESSION_STARTED:
        terminalreporter.write_line(f"depot image size: {SIZE_REPORT.read_text().strip()}")
