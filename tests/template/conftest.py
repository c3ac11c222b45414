"""One service generated from the template into a throw-away copy of the repository (the
working tree's files, as the next commit would hold them), shared by the tests here."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.mutations.workspace import make_copy
from tests.support.tools import ROOT

# Named after no part of the platform (like the staging plan's second service).
NAME = "ledger"


@dataclass(frozen=True)
class Generated:
    root: Path
    name: str
    # The repository's commit before `make new-service`, and the one with its result.
    before: str
    after: str


def git(root: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=test", "-c", "user.email=test@localhost", *args]
    return subprocess.run(command, cwd=root, check=True, capture_output=True, text=True).stdout


def service_template(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`make new-service` / `make update-service` in the copy (the tool they run)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "PATH": f"{ROOT / '.cache/bin'}:{os.environ['PATH']}",
    }
    return subprocess.run(
        [sys.executable, "-m", "tools.service_template", *args, "--root", str(root)],
        cwd=root, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def repository_copy(destination: Path) -> Path:
    """The working tree's files in a git repository of one commit. Its .cache is its own
    folder of links to the source's (tools, uv), so the template repository the tool
    writes there is the copy's."""
    copy = make_copy(ROOT, destination)
    cache = copy / ".cache"
    if cache.is_symlink():
        cache.unlink()
        cache.mkdir()
        for entry in (ROOT / ".cache").iterdir():
            if entry.name != "service-template":
                (cache / entry.name).symlink_to(entry)
    return copy


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    root = repository_copy(tmp_path_factory.mktemp("repository"))
    before = git(root, "rev-parse", "HEAD").strip()
    result = service_template(root, "new", NAME)
    assert result.returncode == 0, result.stdout + result.stderr
    git(root, "add", "-A")
    git(root, "commit", "-q", "--no-verify", "-m", f"make new-service NAME={NAME}")
    return Generated(root, NAME, before, git(root, "rev-parse", "HEAD").strip())
