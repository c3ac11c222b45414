"""The documented configuration table is the settings class: every variable, every default.

The table (`| variable | default | meaning |`) is looked for in the service's README and in
the repository's Markdown documentation, so it may move between them; it must exist
exactly once. Each `Settings` field must have a row under each of the variable names
it is read from, with its default; every other row must be a variable the service's
code really reads outside `Settings`.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from depot.config import Settings

REPOSITORY = Path(__file__).resolve().parents[3]
# depot's own code and the shared runtime it runs on (libs/service-runtime).
SOURCES = (
    REPOSITORY / "services" / "depot" / "src",
    REPOSITORY / "libs" / "service-runtime" / "src",
)
HEADER = re.compile(r"^\|\s*variable\s*\|\s*default\s*\|\s*meaning\s*\|\s*$")
TICKED = re.compile(r"`([^`]+)`")
# Variables the service reads outside Settings, each with the code that reads it.
READ_ELSEWHERE = {
    "AWS_ENDPOINT_URL": "service_runtime/aws.py (emulator detection; botocore reads it too)",
    "OTEL_*": "service_runtime/tracing.py (the OpenTelemetry SDK reads the rest)",
    "DEPOT_DEV_API_KEY": "devserver.py (make run only)",
}


def candidate_documents() -> list[Path]:
    docs = REPOSITORY / "docs"
    found = [REPOSITORY / "services" / "depot" / "README.md", REPOSITORY / "README.md"]
    return [p for p in found if p.is_file()] + sorted(docs.rglob("*.md"))


def find_table(documents: list[Path]) -> tuple[Path, list[list[str]]]:
    """The one variable table that documents depot's settings, as rows of cells."""
    tables = []
    for path in documents:
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            if not HEADER.match(line):
                continue
            rows = []
            for row in lines[i + 2 :]:
                if not row.startswith("|"):
                    break
                rows.append([c.strip() for c in row.strip().strip("|").split("|")])
            if any("DEPOT_TABLE_NAME" in r[0] for r in rows):
                tables.append((path, rows))
    assert len(tables) == 1, (
        f"expected one configuration table, found {[str(p) for p, _ in tables]}"
    )
    return tables[0]


def variables_of(name: str) -> list[str]:
    return Settings.env_names(name)


def default_matches(info: FieldInfo, documented: str) -> bool:
    """Whether the table's default cell states the field's real default."""
    if info.default_factory is not None:
        return not TICKED.match(documented)  # computed: described in words
    if info.default is PydanticUndefined:
        return documented == "(required)"
    if info.default is None:
        return not TICKED.match(documented)  # "unset", "cgroup limit": no literal value
    literal = TICKED.match(documented)
    if literal is None:
        return False
    value = literal.group(1)
    if isinstance(info.default, bool | str):
        return value == str(info.default)
    try:
        return math.isclose(float(value), float(info.default))
    except ValueError:
        return False


def table_problems(rows: list[list[str]]) -> list[str]:
    documented: dict[str, str] = {}
    for cells in rows:
        for name in TICKED.findall(cells[0]):
            documented[name] = cells[1]
    problems = []
    expected: set[str] = set()
    for field, info in Settings.model_fields.items():
        for variable in variables_of(field):
            expected.add(variable)
            if variable not in documented:
                problems.append(f"{variable} is read by Settings.{field} but has no row")
            elif not default_matches(info, documented[variable]):
                problems.append(
                    f"{variable}: documented default {documented[variable]!r}, "
                    f"Settings.{field} has {info.default!r}"
                )
    for variable in sorted(set(documented) - expected):
        if variable not in READ_ELSEWHERE:
            problems.append(f"{variable} is documented but the service does not read it")
    return problems


def test_the_configuration_table_is_the_settings_class() -> None:
    path, rows = find_table(candidate_documents())
    assert table_problems(rows) == [], path


@pytest.mark.parametrize("variable", sorted(READ_ELSEWHERE))
def test_variables_read_outside_settings_are_really_read(variable: str) -> None:
    needle = variable.removesuffix("*")
    code = "\n".join(p.read_text() for source in SOURCES for p in source.rglob("*.py"))
    assert needle in code


def test_a_missing_row_or_a_wrong_default_is_noticed() -> None:
    _, rows = find_table(candidate_documents())
    missing = [r for r in rows if "DEPOT_BREAKER_OPEN_SECONDS" not in r[0]]
    assert any("DEPOT_BREAKER_OPEN_SECONDS" in p for p in table_problems(missing))
    wrong = [[r[0], "`7`", r[2]] if "DEPOT_DRAIN_SECONDS" in r[0] else r for r in rows]
    assert any("DEPOT_DRAIN_SECONDS: documented default" in p for p in table_problems(wrong))
    extra = [*rows, ["`DEPOT_NOT_A_SETTING`", "`1`", "x"]]
    assert any("DEPOT_NOT_A_SETTING" in p for p in table_problems(extra))
