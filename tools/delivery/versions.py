"""A version lives in one place: the service's pyproject.toml.

The release tag, the image tag, the `depot_build_info{version}` the service reports and
the version its docs show are all derived from it; these checks fail when they drift.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from tools.delivery.images import validate_tag


class VersionError(ValueError):
    """A version that disagrees with the single source of truth."""


def service_version(root: Path, service: str) -> str:
    pyproject = root / "services" / service / "pyproject.toml"
    if not pyproject.is_file():
        raise VersionError(
            f"services/{service}/pyproject.toml not found; --service must name a folder "
            "under services/"
        )
    version = tomllib.loads(pyproject.read_text()).get("project", {}).get("version")
    if not isinstance(version, str):
        raise VersionError(f"services/{service}/pyproject.toml has no [project] version")
    return version


def release_tag(root: Path, service: str) -> str:
    """The only tag a release of the service may carry."""
    return f"v{service_version(root, service)}"


def check_release_tag(root: Path, service: str, tag: str) -> None:
    validate_tag(tag, "--tag")
    expected = release_tag(root, service)
    if tag != expected:
        raise VersionError(
            f"tag {tag} does not match services/{service}/pyproject.toml version "
            f"({expected}); bump [project] version to {tag.removeprefix('v')} in the same "
            "commit, or tag that commit "
            f"{expected}"
        )


def services_released_by(root: Path, tag: str) -> list[str]:
    """Every service whose release tag `tag` is (a folder under services/ with a
    pyproject.toml); a tag no service's version equals is an error naming the versions."""
    validate_tag(tag, "--tag")
    services = sorted(p.parent.name for p in (root / "services").glob("*/pyproject.toml"))
    released = [service for service in services if release_tag(root, service) == tag]
    if not released:
        versions = ", ".join(f"{s} {release_tag(root, s)}" for s in services) or "no services"
        raise VersionError(
            f"tag {tag} is no service's version ({versions}); bump [project] version in "
            "services/<name>/pyproject.toml in the commit the tag names"
        )
    for service in released:
        check_release_tag(root, service, tag)
    return released
