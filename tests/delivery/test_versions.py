"""A version lives in one place: services/<name>/pyproject.toml.

The release tag must equal it (release.yml runs check-release before building), the
image is built with it as VERSION (the Dockerfile turns that into SERVICE_VERSION, which
`depot_build_info{version}` reports), and no environment may run a version newer than
the source declares.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tests.support.tools import ROOT
from tools.delivery.cli import app
from tools.delivery.versions import service_version

RELEASE = ROOT / ".github" / "workflows" / "release.yml"


def as_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.removeprefix("v").split("."))


def test_check_release_accepts_only_the_pyproject_version() -> None:
    version = service_version(ROOT, "depot")
    ok = CliRunner().invoke(app, ["check-release", "--service", "depot", "--tag", f"v{version}"])
    assert ok.exit_code == 0, ok.output
    major, minor, patch = as_tuple(version)
    other = f"v{major}.{minor}.{patch + 1}"
    bad = CliRunner().invoke(app, ["check-release", "--service", "depot", "--tag", other])
    assert bad.exit_code == 2
    assert "does not match services/depot/pyproject.toml" in " ".join(bad.output.split())


def test_a_tag_releases_every_service_at_that_version_and_no_other(tmp_path: Path) -> None:
    """The release matrix: the services whose version the tag is; none is refused."""
    for name, version in (("alpha", "1.2.0"), ("beta", "1.2.0"), ("gamma", "0.9.1")):
        (tmp_path / "services" / name).mkdir(parents=True)
        (tmp_path / "services" / name / "pyproject.toml").write_text(
            f'[project]\nname = "{name}"\nversion = "{version}"\n'
        )

    def released(tag: str) -> tuple[int, str]:
        result = CliRunner().invoke(
            app, ["release-services", "--tag", tag, "--root", str(tmp_path)]
        )
        return result.exit_code, result.output

    assert released("v1.2.0") == (0, '["alpha","beta"]\n')
    assert released("v0.9.1") == (0, '["gamma"]\n')
    code, output = released("v1.2.1")
    assert code == 2
    assert "is no service's version (alpha v1.2.0, beta v1.2.0, gamma v0.9.1)" in " ".join(
        output.split()
    )
    assert released("1.2.0")[0] == 2  # not a release tag


def test_release_checks_the_tag_before_building_and_builds_with_it() -> None:
    release = yaml.safe_load(RELEASE.read_text())
    jobs = release["jobs"]
    verify = " ".join(str(s.get("run", "")) for s in jobs["verify"]["steps"])
    assert "tools.delivery release-services" in verify and '--tag "$TAG"' in verify
    # The image and deploy-dev jobs run once per released service, from that list.
    matrix = "${{ fromJSON(needs.verify.outputs.services) }}"
    assert jobs["verify"]["outputs"]["services"] == "${{ steps.services.outputs.services }}"
    for name in ("image", "deploy-dev"):
        assert jobs[name]["strategy"]["matrix"] == {"service": matrix}, name
        assert jobs[name]["env"]["SERVICE"] == "${{ matrix.service }}", name
    assert jobs["image"]["needs"] == "verify"
    builds = [s for s in jobs["image"]["steps"] if "build-push-action" in str(s.get("uses"))]
    assert builds
    for build in builds:
        assert "VERSION=${{ steps.version.outputs.version }}" in build["with"]["build-args"]
        assert "SERVICE=${{ matrix.service }}" in build["with"]["build-args"]
    dockerfile = (ROOT / "services/Dockerfile").read_text()
    assert 'SERVICE_VERSION="${VERSION}"' in dockerfile, "the image must report its build version"


@pytest.mark.parametrize(
    "env_file",
    sorted((ROOT / "gitops/environments").glob("*/depot.yaml")),
    ids=lambda p: p.parent.name,
)
def test_no_environment_runs_a_version_the_source_never_declared(env_file: Path) -> None:
    declared = service_version(ROOT, "depot")
    tag = yaml.safe_load(env_file.read_text())["image"]["tag"]
    assert as_tuple(tag) <= as_tuple(declared), (
        f"{env_file.relative_to(ROOT)} runs {tag} but services/depot/pyproject.toml says "
        f"{declared}: release through a tag v<pyproject version>, never by editing the tag"
    )


def test_the_chart_version_is_exact_and_argo_cd_uses_the_chart_in_this_repository() -> None:
    chart = yaml.safe_load((ROOT / "charts/service/Chart.yaml").read_text())
    assert len(as_tuple(chart["version"])) == 3
    services = (ROOT / "gitops/argocd/services.yaml").read_text()
    assert "path: charts/service" in services
