"""The mutation runner on a tiny repository of its own: each verdict can happen."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.mutations import catalogue, runner
from tests.mutations.catalogue import CatalogueError, Mutation

MODULE = "LIMIT = 3\n\n\ndef allowed(n):\n    return n <= LIMIT\n"
TESTS = (
    "from app import allowed\n\n\n"
    "def test_limit():\n    assert allowed(3) and not allowed(4)\n\n\n"
    "def test_anything():\n    assert allowed(0)\n\n\n"
    "def test_slow():\n    import time, app\n"
    "    if app.LIMIT == 5:\n        time.sleep(60)\n"
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "app.py").write_text(MODULE)
    (root / "test_app.py").write_text(TESTS)
    (root / "untracked_but_wanted.txt").write_text("copied too\n")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "app.py", "test_app.py"], cwd=root, check=True)
    return root


def mutation(ident: str, find: str, replace: str, tests: list[str], timeout: int = 60) -> Mutation:
    return Mutation(
        id=ident,
        rows=(1,),
        why="test",
        file="app.py",
        find=find,
        replace=replace,
        tests=tuple(tests),
        timeout=timeout,
    )


def verdicts(outcomes: list[runner.Outcome]) -> dict[str, str]:
    return {o.mutation.id: o.verdict for o in outcomes}


def test_each_verdict_and_the_source_is_left_untouched(repo: Path) -> None:
    mutations = [
        mutation("killed", "LIMIT = 3", "LIMIT = 4", ["test_app.py::test_limit"]),
        mutation("survived", "LIMIT = 3", "LIMIT = 4", ["test_app.py::test_anything"]),
        mutation("stale", "LIMIT = 7", "LIMIT = 4", ["test_app.py::test_limit"]),
        mutation("ambiguous", "LIMIT", "CAP", ["test_app.py::test_limit"]),
        mutation("timeout", "LIMIT = 3", "LIMIT = 5", ["test_app.py::test_slow"], timeout=3),
        mutation("no-such-test", "LIMIT = 3", "LIMIT = 4", ["test_app.py::test_missing"]),
    ]
    outcomes = runner.run(mutations, jobs=2, source=repo)
    assert verdicts(outcomes) == {
        "killed": "killed",
        "survived": "survived",
        "stale": "stale",
        "ambiguous": "stale",
        "timeout": "timeout",
        "no-such-test": "baseline-failed",
    }
    assert [o.ok for o in outcomes if o.mutation.id == "killed"] == [True]
    assert (repo / "app.py").read_text() == MODULE


def test_a_failing_baseline_is_not_counted_as_a_kill(repo: Path) -> None:
    (repo / "test_app.py").write_text(TESTS.replace("not allowed(4)", "allowed(4)"))
    outcomes = runner.run(
        [mutation("would-kill", "LIMIT = 3", "LIMIT = 2", ["test_app.py::test_limit"])],
        jobs=1,
        source=repo,
    )
    assert verdicts(outcomes) == {"would-kill": "baseline-failed"}


def test_every_test_failing_unmutated_is_named_not_only_the_first(repo: Path) -> None:
    (repo / "test_app.py").write_text(
        TESTS.replace("not allowed(4)", "allowed(4)").replace("allowed(0)", "not allowed(0)")
    )
    outcomes = runner.run(
        [
            mutation("first", "LIMIT = 3", "LIMIT = 2", ["test_app.py::test_limit"]),
            mutation("second", "LIMIT = 3", "LIMIT = -1", ["test_app.py::test_anything"]),
        ],
        jobs=1,
        source=repo,
    )
    assert verdicts(outcomes) == {"first": "baseline-failed", "second": "baseline-failed"}


def test_the_copy_holds_untracked_files_and_the_copy_is_what_runs(repo: Path) -> None:
    # The test reads a file that exists only untracked: committed-only copies would miss it.
    (repo / "test_app.py").write_text(
        TESTS + "\n\ndef test_note():\n"
        "    from pathlib import Path\n"
        "    assert Path('untracked_but_wanted.txt').read_text() == 'copied too\\n'\n"
    )
    found = runner.run(
        [mutation("killed", "LIMIT = 3", "LIMIT = 4", ["test_app.py::test_limit"])], 1, repo
    )
    assert verdicts(found) == {"killed": "killed"}
    note = mutation("note", "LIMIT = 3", "LIMIT = 4", ["test_app.py::test_note"])
    assert verdicts(runner.run([note], 1, repo)) == {"note": "survived"}


def test_junit_report_counts_survivors_as_failures(tmp_path: Path) -> None:
    m = mutation("m", "a", "b", ["t.py"])
    report = tmp_path / "r.xml"
    runner.write_junit(
        [runner.Outcome(m, "killed", 1.0), runner.Outcome(m, "survived", 1.0)], report
    )
    text = report.read_text()
    assert 'tests="2"' in text and 'failures="1"' in text


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"rows": [1], "why": "w", "file": "f", "find": "a", "replace": "b", "tests": ["t"]}, "id"),
        ({"id": "x", "why": "w", "file": "f", "find": "a", "replace": "b", "tests": ["t"]}, "rows"),
        ({"id": "x", "rows": [1], "why": "w", "file": "f", "find": "a", "replace": "b"}, "tests"),
        (
            {
                "id": "x",
                "rows": [1],
                "why": "w",
                "file": "f",
                "find": "a",
                "replace": "a",
                "tests": ["t"],
            },
            "replace",
        ),
        (
            {
                "id": "x",
                "rows": [1],
                "why": "w",
                "file": "f",
                "find": "a",
                "replace": "b",
                "tests": ["t"],
                "speed": "fast",
            },
            "speed",
        ),
        ({"id": "x", "rows": [1], "why": "w", "pending": ""}, "pending"),
        ({"id": "x", "rows": [1], "why": "w", "colour": "red"}, "colour"),
    ],
)
def test_a_bad_entry_names_its_field(tmp_path: Path, entry: dict[str, object], field: str) -> None:
    import yaml

    path = tmp_path / "mutations.yaml"
    path.write_text(yaml.safe_dump({"mutations": [entry]}))
    with pytest.raises(CatalogueError, match=f"'{field}'"):
        catalogue.load(path)


def test_a_pending_entry_needs_no_change(tmp_path: Path) -> None:
    path = tmp_path / "mutations.yaml"
    path.write_text('mutations: [{id: x, rows: [4], why: w, pending: "depot refactor"}]\n')
    (loaded,) = catalogue.load(path)
    assert loaded.pending == "depot refactor" and not loaded.tests


def test_the_real_catalogue_loads_with_unique_ids() -> None:
    mutations = catalogue.load()
    assert len({m.id for m in mutations}) == len(mutations) >= 50


def test_the_baseline_runs_each_project_in_its_own_environment() -> None:
    """A service's and a shared library's tests run in their own environments, never in
    one pytest process with the platform's (the runner refuses such a mix)."""
    cited = [
        mutation("a", "x", "y", ["libs/lib/tests/test_a.py::t", "tests/area/test_b.py::t"]),
        mutation("b", "x", "y", ["services/svc/tests/test_c.py::t"]),
    ]
    groups = sorted(runner._baseline_groups(cited))
    assert groups == [
        ("libs/lib/tests/test_a.py::t",),
        ("services/svc/tests/test_c.py::t",),
        ("tests/area/test_b.py::t",),
    ]
