"""Fixtures of the reliability tests: an emulator, provisioned resources, nginx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.procs import DEPOT_PYTHON, Emulator, Resources, provision
from tests.support.tools import prerequisite_missing, require_tool


@pytest.fixture(scope="session")
def depot_venv() -> Path:
    if not DEPOT_PYTHON.exists():
        prerequisite_missing(
            "the service's venv is missing; `make setup` (scripts/setup/python.sh) builds it"
        )
    return DEPOT_PYTHON


@pytest.fixture(scope="session")
def nginx_binary() -> str:
    return require_tool("nginx", "scripts/setup/loadtools.sh")


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory, depot_venv: Path) -> Iterator[Emulator]:
    server = Emulator(tmp_path_factory.mktemp("emulator")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def resources(emulator: Emulator) -> Resources:
    return provision(emulator.url, ["acme", "globex"])
