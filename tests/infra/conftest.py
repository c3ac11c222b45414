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

# Each run's step timings, printed at the end of the session: when a bound is hit on a
# slow runner, the next reader sees which step grew.
FINISHED_RUNS: list[RootRun] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for run in FINISHED_RUNS:
        steps = ", ".join(f"{step} {seconds:.0f} s" for step, seconds in run.timings.items())
        terminalreporter.write_line(f"{run.name}: {steps or 'no step finished'}")


# The platform's service and one more, named after no part of the platform.
SERVICES_IN_STAGING_PLAN = ("depot", "ledger")


@pytest.fixture(scope="session")
def terraform() -> str:
    return terraform_binary()


# The fixture through which each test reaches a root's run => that run's name.
RUN_OF_FIXTURE = {
    "dev_run": "dev",
    "shared_run": "shared",
    "prod_plan": "prod-plan",
    "staging_plan": "staging-plan",
    "bad_inputs": "bad-inputs",
    "day_one": "day-one",
}


def runs_needed(session: pytest.Session) -> set[str]:
    """The runs some collected test reaches: a narrow selection (one test, or a promise
    mutation's cited tests) starts only what it needs instead of every root."""
    return {
        RUN_OF_FIXTURE[name]
        for item in session.items
        for name in getattr(item, "fixturenames", ())
        if name in RUN_OF_FIXTURE
    }


@pytest.fixture(scope="session")
def root_runs(
    terraform: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[dict[str, Future[RootRun]]]:
    servers: list[MotoServer] = []
    needed = runs_needed(request.session)

    def emulator(name: str) -> tuple[Path, MotoServer]:
        workdir = tmp_path_factory.mktemp(name)
        server = start_moto(workdir)
        servers.append(server)
        return workdir, server

    # The slow steps are mostly waits (provider polling, emulator latency), so the roots
    # and the day-one rehearsal overlap well even on two cores.
    pool = ThreadPoolExecutor(max_workers=6, thread_name_prefix="root")
    futures: dict[str, Future[RootRun]] = {}
    try:
        if "dev" in needed:
            dev_dir, dev_moto = emulator("dev")
            futures["dev"] = pool.submit(run_dev, terraform, dev_dir, dev_moto)
        if "shared" in needed:
            shared_dir, shared_moto = emulator("shared")
            futures["shared"] = pool.submit(run_shared, terraform, shared_dir, shared_moto)
        if needed & {"prod-plan", "staging-plan", "bad-inputs"}:
            plan_dir, plan_moto = emulator("plans")
        if "prod-plan" in needed:
            futures["prod-plan"] = pool.submit(
                plan_root, terraform, plan_dir / "prod", plan_moto, "prod"
            )
        if "staging-plan" in needed:
            # Staging is planned with a second service, not named after the platform:
            # adding a service is one list entry (its roles, data and certificate name).
            futures["staging-plan"] = pool.submit(
                plan_root,
                terraform,
                plan_dir / "staging",
                plan_moto,
                "staging",
                f"-var=services={json.dumps(list(SERVICES_IN_STAGING_PLAN))}",
            )
        if "bad-inputs" in needed:  # quick
            futures["bad-inputs"] = pool.submit(
                reject_bad_inputs, terraform, plan_dir / "bad", plan_moto
            )
        if "day-one" in needed:
            # Its own emulator (IAM enforced by meaning), started by the rehearsal itself.
            futures["day-one"] = pool.submit(
                rehearse_day_one, terraform, tmp_path_factory.mktemp("day-one")
            )
        yield futures
    finally:
        pool.shutdown(wait=True)
        FINISHED_RUNS.extend(f.result() for f in futures.values() if f.done() and not f.exception())
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
