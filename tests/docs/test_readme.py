"""The README's traceability table and links point at things that exist.

Every claim of the brief is traced to a test; a renamed or deleted test would silently
break that trace, so each `file.py::test_name` cited here must exist, and every
relative link must resolve.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
TABLE = README.split("## Traceability", 1)[1].split("\n## ", 1)[0]

# `area/test_file.py::test_name` or `services/depot/tests/test_x.py::test_y`; a bare
# `::test_y` continues the file cited just before it in the same cell.
_CITATION = re.compile(
    r"`(?:((?:services/[\w-]+/tests/|[\w-]+/)?test_[\w]+\.py))?(?:::(test_\w+))?"
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
    candidate = ROOT / path if path.startswith("services/") else ROOT / "tests" / path
    return candidate


CITATIONS = _citations()


def test_the_table_cites_tests() -> None:
    assert len({path for path, _ in CITATIONS}) >= 30
    assert sum(1 for _, name in CITATIONS if name) >= 60


@pytest.mark.parametrize(("path", "name"), CITATIONS, ids=lambda v: str(v))
def test_every_cited_test_exists(path: str, name: str | None) -> None:
    file = _resolve(path)
    assert file.is_file(), f"README cites {path}, which does not exist"
    if name:
        assert re.search(rf"^(async )?def {name}\b", file.read_text(), re.MULTILINE), (
            f"README cites {path}::{name}, which does not exist"
        )


LINKS = sorted(set(re.findall(r"\]\((?!https?://|#)([^)\s]+)\)", README)))


@pytest.mark.parametrize("link", LINKS)
def test_every_relative_link_resolves(link: str) -> None:
    assert (ROOT / link.split("#", 1)[0]).exists(), f"README links to {link}, which is missing"


def test_a_missing_test_would_be_caught() -> None:
    assert not re.search(
        r"^def test_no_such_thing\b", _resolve("chart/test_promises.py").read_text()
    )
