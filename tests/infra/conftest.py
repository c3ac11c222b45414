"""Fixtures of the infrastructure tests: one throw-away emulator per applied root, and
the roots' lifecycles started together in threads so their slow steps overlap."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.infra.lifecycle import RootRun, run_shared
from tests.infra.tf import terraform_binary
from tests.support.moto import MotoServer, start_moto


@pytest.fixture(scope="session")
def terraform() -> str:
    return terraform_binary()


@pytest.fixture(scope="session")
def root_runs(
    terraform: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Future[RootRun]]]:
    servers: list[MotoServer] = []

    def emulator(name: str) -> tuple[Path, MotoServer]:
        workdir = tmp_path_factory.mktemp(name)
        server = start_moto(workdir)
        servers.append(server)
        return workdir, server

    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="root")
    try:
        shared_dir, shared_moto = emulator("shared")
        futures = {"shared": pool.submit(run_shared, terraform, shared_dir, shared_moto)}
        yield futures
    finally:
        pool.shutdown(wait=True)
        for server in servers:
            server.stop()


@pytest.fixture(scope="session")
def shared_run(root_runs: dict[str, Future[RootRun]]) -> RootRun:
    return root_runs["shared"].result()
