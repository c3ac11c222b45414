"""Finding the external tools the platform tests drive.

In CI (CI=true) a missing tool is a failure: a skipped check proves nothing. On a
developer machine it is a loud skip that says which setup script installs it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NoReturn

import pytest

ROOT = Path(__file__).resolve().parents[2]
CACHE_BIN = ROOT / ".cache" / "bin"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def prerequisite_missing(message: str) -> NoReturn:
    """The one rule for missing prerequisites: fail in CI, skip loudly on a workstation."""
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


def require_tool(name: str, installed_by: str = "make setup") -> str:
    """Return the path of `name`, or fail (CI) / skip (locally) naming how to install it."""
    found = shutil.which(name, path=f"{CACHE_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if found:
        return found
    prerequisite_missing(f"required tool {name!r} not found; it is installed by {installed_by}")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
