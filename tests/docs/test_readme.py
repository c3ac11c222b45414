"""The traceability table and the README point at things that exist.

Every claim of the brief is traced to a test in docs/traceability.md (a page of the
documentation site; the README is its short front door). A renamed or deleted test
would silently break that trace, so each `file.py::test_name` cited there must exist,
and every relative link of the table and of the README must resolve.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.mutations import catalogue

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
TRACEABILITY = ROOT / "docs" / "traceability.md"
TABLE = TRACEABILITY.read_text()
# The README is the front door: what this is, the two commands, the picture, where next.
README_LIMIT = 8000

# `area/test_file.py::test_name`, `services/depot/tests/test_x.py::test_y` or a shared
# library's `libs/service-runtime/tests/test_x.py::test_y`; a bare
# `::test_y` continues the file cited just before it in the same cell.
_CITATION = re.compile(
    r"`(?:((?:(?:services|libs)/[\w-]+/tests/|[\w-]+/)?test_[\w]+\.py))?(?:::(test_\w+))?"
)


def _citations() -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    for row in TABLE.splitlines():
        for cell in row.split("|"):
            current: str | None = None
            for match in _CITATION.finditer(cell):
                path, name = match.groups()
                if path:
                    current = path
                if current and (path or name):
                    found.append((current, name))
    return found


def _resolve(path: str) -> Path:
    own_project = path.startswith(("services/", "libs/"))
    candidate = ROOT / path if own_project else ROOT / "tests" / path
    return candidate


CITATIONS = _citations()


def test_the_table_cites_tests() -> None:
    assert len({path for path, _ in CITATIONS}) >= 30
    assert sum(1 for _, name in CITATIONS if name) >= 60


@pytest.mark.parametrize(("path", "name"), CITATIONS, ids=lambda v: str(v))
def test_every_cited_test_exists(path: str, name: str | None) -> None:
    file = _resolve(path)
    assert file.is_file(), f"the traceability table cites {path}, which does not exist"
    if name:
        assert re.search(rf"^(async )?def {name}\b", file.read_text(), re.MULTILINE), (
            f"the traceability table cites {path}::{name}, which does not exist"
        )


def _links(text: str) -> set[str]:
    return set(re.findall(r"\]\((?!https?://|#)([^)\s]+)\)", text))


# (file that links, target relative to that file's folder)
LINKS = sorted(
    [("README.md", link) for link in _links(README)]
    + [("docs/traceability.md", link) for link in _links(TABLE)]
)


@pytest.mark.parametrize(("source", "link"), LINKS, ids=lambda v: str(v))
def test_every_relative_link_resolves(source: str, link: str) -> None:
    target = (ROOT / source).parent / link.split("#", 1)[0]
    assert target.exists(), f"{source} links to {link}, which is missing"


def test_readme_is_a_short_front_door() -> None:
    assert len(README) < README_LIMIT, (
        f"README.md is {len(README)} characters; keep it under {README_LIMIT} and move "
        "detail to a page under docs/ (the site carries it)"
    )
    for command in ("make run", "make test"):
        assert f"\n{command} " in README, f"README.md no longer shows `{command}`"
    assert "docs/traceability.md" in README, "README.md must say where the table went"
    assert "## Where to go next" in README


def test_a_missing_test_would_be_caught() -> None:
    assert not re.search(
        r"^def test_no_such_thing\b", _resolve("chart/test_promises.py").read_text()
    )


# --- Every row is proven by a mutation (docs/mutations.yaml, issue 17) -----------------
#
# A cited test only proves its row if it fails when the row's implementation breaks.
# docs/mutations.yaml holds, per row, realistic breaking changes and the cited tests that
# must fail; `make test-mutations` applies them. Here: every row has one, and each names
# tests its row cites.

MUTATIONS = catalogue.load()
RUNNABLE = [m for m in MUTATIONS if m.pending is None]

# Rows whose only mutations are pending (their implementation is being moved). This set
# may only shrink: a row that gets a runnable mutation must leave it, and no row may join.
PENDING_ROWS: set[int] = set()


def _rows() -> dict[int, str]:
    rows: dict[int, str] = {}
    for line in TABLE.splitlines():
        match = re.match(r"^\|\s*(\d+)\s*\|", line)
        if match:
            rows[int(match.group(1))] = line
    return rows


ROWS = _rows()


def _cited_paths(row: str) -> set[str]:
    """Test files and folders a row cites, relative to the repository root."""
    paths = {
        _resolve(match.group(1)).relative_to(ROOT).as_posix()
        for match in _CITATION.finditer(row)
        if match.group(1)
    }
    folders = {f"tests/{d}" for d in re.findall(r"`([\w-]+)/`", row)}
    return paths | folders


def rows_without_mutation(rows: set[int], mutations: list[catalogue.Mutation]) -> set[int]:
    return rows - {row for m in mutations for row in m.rows}


def pending_rows(mutations: list[catalogue.Mutation]) -> set[int]:
    runnable = {row for m in mutations if m.pending is None for row in m.rows}
    return {row for m in mutations if m.pending for row in m.rows} - runnable


def test_the_table_has_numbered_rows() -> None:
    assert len(ROWS) >= 50


def test_every_row_has_a_mutation() -> None:
    missing = rows_without_mutation(set(ROWS), MUTATIONS)
    assert not missing, (
        f"rows {sorted(missing)} have no mutation: add to docs/mutations.yaml a breaking "
        "change of each row's implementation and the cited tests that must fail"
    )


def test_a_row_without_a_mutation_is_caught() -> None:
    some = MUTATIONS[0].rows[0]
    without = [m for m in MUTATIONS if some not in m.rows]
    assert rows_without_mutation({some}, MUTATIONS) == set()
    assert rows_without_mutation({some}, without) == {some}


def test_mutations_name_rows_of_the_table() -> None:
    unknown = {m.id: r for m in MUTATIONS for r in m.rows if r not in ROWS}
    assert not unknown, f"mutations name rows the table lacks: {unknown}"


def test_pending_rows_only_shrink() -> None:
    pending = pending_rows(MUTATIONS)
    print(f"rows with pending mutations only: {sorted(pending)}")
    assert not pending - PENDING_ROWS, (
        f"rows {sorted(pending - PENDING_ROWS)} became pending: give them a runnable mutation"
    )
    assert not PENDING_ROWS - pending, (
        f"rows {sorted(PENDING_ROWS - pending)} have runnable mutations now: remove them "
        "from PENDING_ROWS"
    )


@pytest.mark.parametrize("mutation", RUNNABLE, ids=lambda m: m.id)
def test_each_mutation_runs_tests_its_rows_cite(mutation: catalogue.Mutation) -> None:
    cited = set().union(*(_cited_paths(ROWS.get(r, "")) for r in mutation.rows))
    files = {t.split("::", 1)[0] for t in mutation.tests}
    assert any(f == c or f.startswith(c + "/") for f in files for c in cited), (
        f"mutation {mutation.id}: none of {sorted(files)} is cited by rows {mutation.rows}"
    )


@pytest.mark.parametrize("mutation", RUNNABLE, ids=lambda m: m.id)
def test_each_mutation_still_applies(mutation: catalogue.Mutation) -> None:
    problem = catalogue.staleness(mutation, ROOT)
    assert problem is None, (
        f"mutation {mutation.id} is stale: {problem}; update docs/mutations.yaml"
    )
