"""Run the promise mutations: apply each to a copy, run only its tests, expect a failure.

    python -m tests.mutations.runner --speed quick [--jobs 2] [--only ID ...]

First every cited test runs once unmutated (a failing baseline is not a kill), then each
mutation is applied in a copy of the repository and its tests run with a time bound.
The exit status is nonzero on any survivor, stale mutation, failing baseline or error.
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tests.mutations.catalogue import CATALOGUE, ROOT, SPEEDS, Mutation, load, staleness
from tests.mutations.workspace import StaleMutationError, applied, make_copy

# pytest exit codes: 0 all passed, 1 some failed; anything else (interrupted, internal
# error, usage error, nothing collected) says nothing about the mutation.
_PASSED, _FAILED = 0, 1
_FAILED_LINE = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.MULTILINE)


@dataclass(frozen=True)
class Outcome:
    mutation: Mutation
    verdict: str  # killed | survived | stale | baseline-failed | timeout | error
    seconds: float
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.verdict == "killed"


@dataclass(frozen=True)
class Run:
    returncode: int | None  # None: cut by the time bound
    output: str
    seconds: float


# Projects with an environment of their own: a service, a shared library (libs/).
PROJECT_FOLDERS = ("services/", "libs/")


def _environment(copy: Path) -> dict[str, str]:
    """Make the copy, not the source tree, the code under test (imports, ROOT, tools)."""
    env = dict(os.environ)
    # The shared libraries too: a service's environment installs them editable from the
    # source tree, so without this a mutated library would go untested.
    projects = [*sorted(copy.glob("libs/*/src")), *sorted(copy.glob("services/*/src"))]
    sources = [str(copy), *(str(p) for p in projects)]
    env["PYTHONPATH"] = os.pathsep.join([*sources, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["ROOT"] = str(copy)
    env["PATH"] = f"{copy / '.cache' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _command(copy: Path, tests: Sequence[str], first_failure: bool) -> tuple[list[str], Path]:
    """pytest for `tests`; a service's own tests run in that service's environment."""
    service = {t.split("/tests/", 1)[0] for t in tests if t.startswith(PROJECT_FOLDERS)}
    if service:
        if len(service) > 1 or any(not t.startswith(PROJECT_FOLDERS) for t in tests):
            raise ValueError(f"tests {list(tests)} mix projects; split the mutation")
        home = copy / service.pop()
        python = home / ".venv" / "bin" / "python"
        ids = [str(Path(t).relative_to(home.relative_to(copy))) for t in tests]
    else:
        home, python, ids = copy, Path(sys.executable), list(tests)
    # -x for a mutation: its first failure is the kill. Never for the baseline: every
    # failing test must be named there, or the ones after the first would count as kills.
    # No cache: copies are shared between mutations.
    stop = ["-x"] if first_failure else []
    args = [str(python), "-m", "pytest", *stop, "-q", "-rfE", "-p", "no:cacheprovider"]
    return [*args, "-o", "addopts=--strict-markers", *ids], home


def run_tests(copy: Path, tests: Sequence[str], timeout: int, first_failure: bool = True) -> Run:
    """Run `tests` in `copy`; the whole process group is killed at the time bound."""
    command, cwd = _command(copy, tests, first_failure)
    start = time.monotonic()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=_environment(copy),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # so servers the tests start die with them
    )
    try:
        output, _ = process.communicate(timeout=timeout)
        code: int | None = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        code = None
    return Run(code, output, time.monotonic() - start)


def _tail(output: str, lines: int = 15) -> str:
    return "\n".join(output.strip().splitlines()[-lines:])


def judge(mutation: Mutation, run: Run) -> Outcome:
    if run.returncode is None:
        return Outcome(mutation, "timeout", run.seconds, f"cut after {mutation.timeout} s")
    if run.returncode == _FAILED:
        failed = _FAILED_LINE.findall(run.output)
        return Outcome(mutation, "killed", run.seconds, failed[0] if failed else "")
    if run.returncode == _PASSED:
        return Outcome(mutation, "survived", run.seconds, _tail(run.output, 3))
    return Outcome(
        mutation, "error", run.seconds, f"pytest exit {run.returncode}\n{_tail(run.output)}"
    )


class Pool:
    """One repository copy per worker, so parallel mutations never see each other."""

    def __init__(self, source: Path, workdir: Path, jobs: int) -> None:
        self.copies: queue.Queue[Path] = queue.Queue()
        for n in range(jobs):
            self.copies.put(make_copy(source, workdir / f"copy-{n}"))

    def mutate(self, mutation: Mutation) -> Outcome:
        copy = self.copies.get()
        try:
            with applied(mutation, copy):
                return judge(mutation, run_tests(copy, mutation.tests, mutation.timeout))
        except StaleMutationError as stale:
            return Outcome(mutation, "stale", 0.0, str(stale))
        finally:
            self.copies.put(copy)

    def baseline(self, tests: Sequence[str], timeout: int) -> Run:
        copy = self.copies.get()
        try:
            return run_tests(copy, tests, timeout, first_failure=False)
        finally:
            self.copies.put(copy)


def _baseline_groups(mutations: Iterable[Mutation]) -> list[tuple[str, ...]]:
    """Distinct test sets, merged per project so the baseline starts few processes."""
    groups: dict[str, set[str]] = {}
    for mutation in mutations:
        for test in mutation.tests:
            project = test.split("/tests/", 1)[0] if test.startswith(PROJECT_FOLDERS) else ""
            groups.setdefault(project, set()).add(test)
    return [tuple(sorted(tests)) for tests in groups.values()]


def _split(tests: tuple[str, ...], parts: int) -> list[tuple[str, ...]]:
    by_file: dict[str, list[str]] = {}
    for test in tests:
        by_file.setdefault(test.split("::", 1)[0], []).append(test)
    chunks: list[list[str]] = [[] for _ in range(max(parts, 1))]
    for n, file_tests in enumerate(by_file.values()):
        chunks[n % len(chunks)].extend(file_tests)
    return [tuple(c) for c in chunks if c]


def _covers(spec: str, failed: str) -> bool:
    """Does the cited node id `spec` include the failed node id (or file) `failed`?"""
    spec_file, failed_file = spec.split("::", 1)[0], failed.split("::", 1)[0]
    if "::" not in failed:  # a file that failed to import breaks every test in it
        return spec_file == failed_file
    if "::" not in spec:
        return spec_file == failed_file
    return failed == spec or failed.split("[", 1)[0] == spec or failed.startswith(spec + "::")


def _broken(pool: Pool, tests: tuple[str, ...], bound: int) -> list[str]:
    """Cited tests that fail unmutated. A run that names no failure (a node id that does
    not exist, an internal error) is split until each culprit is named."""
    result = pool.baseline(tests, bound)
    if result.returncode == _PASSED:
        return []
    failed = _FAILED_LINE.findall(result.output)
    if result.returncode == _FAILED and failed:
        print(f"baseline: {len(failed)} cited tests fail unmutated:\n{_tail(result.output, 40)}")
        return list(failed)
    if len(tests) > 1:
        return [name for test in tests for name in _broken(pool, (test,), bound)]
    print(f"baseline of {tests[0]} failed (exit {result.returncode}):\n{_tail(result.output)}")
    return [tests[0]]


def run(mutations: Sequence[Mutation], jobs: int, source: Path = ROOT) -> list[Outcome]:
    """Stale mutations first (they fail without running), then the unmutated baseline of
    every cited test (a test that already fails is no kill), then each mutation."""
    outcomes: list[Outcome] = []
    runnable: list[Mutation] = []
    for mutation in mutations:
        if mutation.pending is not None:
            continue
        problem = staleness(mutation, source)
        if problem:
            outcomes.append(Outcome(mutation, "stale", 0.0, problem))
            _print(outcomes[-1])
        else:
            runnable.append(mutation)
    if not runnable:
        return outcomes
    with tempfile.TemporaryDirectory(prefix="mutations-") as tmp:
        pool = Pool(source, Path(tmp), jobs)
        chunks = [chunk for group in _baseline_groups(runnable) for chunk in _split(group, jobs)]
        bound = sum(m.timeout for m in runnable)
        with ThreadPoolExecutor(max_workers=jobs) as executor:
            broken = [
                name
                for names in executor.map(lambda c: _broken(pool, c, bound), chunks)
                for name in names
            ]
        todo: list[Mutation] = []
        for mutation in runnable:
            hit = [f for f in broken if any(_covers(t, f) for t in mutation.tests)]
            if hit:
                outcomes.append(Outcome(mutation, "baseline-failed", 0.0, hit[0]))
                _print(outcomes[-1])
            else:
                todo.append(mutation)
        with ThreadPoolExecutor(max_workers=jobs) as executor:
            for outcome in executor.map(pool.mutate, todo):
                _print(outcome)
                outcomes.append(outcome)
    return outcomes


def _print(outcome: Outcome) -> None:
    rows = ",".join(str(r) for r in outcome.mutation.rows)
    first = outcome.detail.splitlines()[0] if outcome.detail else ""
    print(
        f"{outcome.verdict.upper():15} {outcome.mutation.id:55} row {rows:8} "
        f"{outcome.seconds:6.1f} s  {first}",
        flush=True,
    )
    if not outcome.ok and "\n" in outcome.detail:
        print("    " + outcome.detail.replace("\n", "\n    "), flush=True)


def write_junit(outcomes: Sequence[Outcome], path: Path) -> None:
    """One test case per mutation, so `make test`'s summary counts survivors as failures."""
    suite = ET.Element("testsuite", name="mutations", tests=str(len(outcomes)))
    suite.set("failures", str(sum(not o.ok for o in outcomes)))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    for outcome in outcomes:
        case = ET.SubElement(suite, "testcase", classname="mutations", name=outcome.mutation.id)
        case.set("time", f"{outcome.seconds:.2f}")
        if not outcome.ok:
            ET.SubElement(case, "failure", message=outcome.verdict).text = outcome.detail
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suite).write(path, encoding="unicode", xml_declaration=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", choices=SPEEDS, help="only mutations of this speed")
    parser.add_argument("--only", nargs="*", default=[], help="only these mutation ids")
    parser.add_argument("--jobs", type=int, default=2, help="mutations run in parallel")
    parser.add_argument("--catalogue", type=Path, default=CATALOGUE)
    parser.add_argument("--junit", type=Path, help="write a JUnit report here")
    args = parser.parse_args(argv)
    mutations = load(args.catalogue)
    unknown = set(args.only) - {m.id for m in mutations}
    if unknown:
        parser.error(f"--only names unknown mutations {sorted(unknown)}")
    chosen = [
        m
        for m in mutations
        if (not args.speed or m.speed == args.speed or m.pending)
        and (not args.only or m.id in args.only)
    ]
    start = time.monotonic()
    outcomes = run(chosen, args.jobs)
    pending = sorted({(r, m.pending) for m in chosen if m.pending for r in m.rows})
    for row, reason in pending:
        print(f"PENDING         row {row}: {reason}")
    counts = {v: sum(o.verdict == v for o in outcomes) for v in {o.verdict for o in outcomes}}
    print(
        f"mutations: {len(outcomes)} run in {time.monotonic() - start:.0f} s, "
        + ", ".join(f"{n} {v}" for v, n in sorted(counts.items()))
        + f"; {len(pending)} rows pending"
    )
    if args.junit:
        write_junit(outcomes, args.junit)
    return 0 if outcomes and all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
