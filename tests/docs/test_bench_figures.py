"""Every benchmark figure the documentation quotes is the committed result file's.

The figures come from one `make bench` run, committed as `bench/results/reference.json`
(`make bench-reference` after a run). A document quoting another run's number, or a
rounded number that is not this one's rounding, fails here with the file and line.
"""

from __future__ import annotations

import json

import pytest

from tests.docs.bench_figures import QUOTES, REFERENCE, agrees, check_text, documents, rewrite
from tests.support.tools import ROOT


@pytest.fixture(scope="module")
def results() -> dict[str, object]:
    assert REFERENCE.is_file(), f"{REFERENCE.relative_to(ROOT)} is missing: run make bench"
    return dict(json.loads(REFERENCE.read_text()))


def test_the_reference_is_one_whole_run(results: dict[str, object]) -> None:
    """One run holds every section the documents quote: nothing patched in from another."""
    assert {"started_at", "floors", "depot", "livez_vs_hello", "boto3_getitem_floor"} <= set(
        results
    )
    assert {"transfer", "rollout", "targets", "capacity"} <= set(results)


def test_every_quoted_benchmark_figure_is_the_reference_runs(
    results: dict[str, object],
) -> None:
    mismatches, found = [], set()
    for path in documents():
        bad, names = check_text(path.read_text(), str(path.relative_to(ROOT)), results)
        mismatches += bad
        found |= names
    assert [str(m) for m in mismatches] == []
    # A quote nobody makes any more would pass unseen: each phrasing is still in use.
    assert {q.name for q in QUOTES} - found == set()


def test_a_figure_from_another_run_is_caught(results: dict[str, object]) -> None:
    text = "| CPU per `POST /v1/documents` | 99.99 ms | — |\n"
    mismatches, found = check_text(text, "example.md", results)
    assert found == {"CPU per create"}
    assert [m.quoted for m in mismatches] == ["99.99"]


@pytest.mark.parametrize(
    ("quoted", "value", "same"),
    [("2.13", 2.1349, True), ("2.1", 2.13, True), ("2.13", 2.14, False), ("7,556", 7556.4, True)],
)
def test_a_figure_agrees_at_the_precision_it_is_written_with(
    quoted: str, value: float, same: bool
) -> None:
    assert agrees(quoted, value) is same


def test_rewriting_from_the_file_makes_a_stale_figure_agree(results: dict[str, object]) -> None:
    stale = (
        "| CPU per `POST /v1/documents` | 99.99 ms | — |\n"
        "| start to ready | median 9.9 s, max 9.9 s |\n"
    )
    fresh = rewrite(stale, results)
    assert fresh != stale
    assert check_text(fresh, "example.md", results)[0] == []
