"""Fixtures of the infrastructure tests: one throw-away emulator per applied root, and
the roots' lifecycles started together in threads so their slow steps overlap."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.infra.day_one import rehearse_day_one
from tests.infra.lifecycle import RootRun, plan_root, reject_bad_inputs, run_dev, run_shared
from tests.infra.tf import terraform_binary
from tests.support.moto import MotoServer, start_moto

# The platform's service and one more, named after no part of the platform.
SERVICES_IN_STAGING_PLAN = ("depot", "ledger")


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

    # The slow steps are mostly waits (provider polling, emulator latency), so the roots
    # and the day-one rehearsal overlap well even on two cores.
    pool = ThreadPoolExecutor(max_workers=6, thread_name_prefix="root")
    try:
        dev_dir, dev_moto = emulator("dev")
        shared_dir, shared_moto = emulator("shared")
        plan_dir, plan_moto = emulator("plans")
        futures = {
            "dev": pool.submit(run_dev, terraform, dev_dir, dev_moto),
            "shared": pool.submit(run_shared, terraform, shared_dir, shared_moto),
            "prod-plan": pool.submit(plan_root, terraform, plan_dir / "prod", plan_moto, "prod"),
            # Staging is planned with a second service, not named after the platform:
            # adding a service is one list entry (its roles, data and certificate name).
            "staging-plan": pool.submit(
                plan_root,
                terraform,
                plan_dir / "staging",
                plan_moto,
                "staging",
                f"-var=services={json.dumps(list(SERVICES_IN_STAGING_PLAN))}",
            ),
        }
        # The bad-input plans are quick.
        futures["bad-inputs"] = pool.submit(
            reject_bad_inputs, terraform, plan_dir / "bad", plan_moto
        )
        # Its own emulator (IAM enforced by meaning), started by the rehearsal itself.
        futures["day-one"] = pool.submit(
            rehearse_day_one, terraform, tmp_path_factory.mktemp("day-one")
        )
        yield futures
    finally:
        pool.shutdown(wait=True)
        for server in servers:
            server.stop()


@pytest.fixture(scope="session")
def shared_run(root_runs: dict[str, Future[RootRun]]) -> RootRun:
    return root_runs["shared"].result()


@pytest.fixture(scope="session")
def dev_run(root_runs: dict[str, Future[RootRun]]) -> RootRun:
    return root_runs["dev"].result()


@pytest.fixture(scope="session")
def prod_plan(root_runs: dict[str, Future[RootRun]]) -> RootRun:
    return root_runs["prod-plan"].result()


@pytest.fixture(scope="session")
def staging_plan(root_runs: dict[str, Future[RootRun]]) -> RootRun:
    return root_runs["staging-plan"].result()


@pytest.fixture(scope="session")
def bad_inputs(root_runs: dict[str, Future[RootRun]]) -> RootRun:
    return root_runs["bad-inputs"].result()
