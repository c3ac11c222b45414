"""The promise mutations, read from `docs/mutations.yaml` and checked field by field.

Each mutation is a small, realistic breaking change of one promise's implementation
(file, exact text, what it becomes) and the tests that must fail when it is applied.
A mutation may instead be `pending` (its implementation is being moved): it then names
its rows and a reason, and is listed as pending rather than run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import yaml

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "docs" / "mutations.yaml"

Speed = Literal["quick", "slow"]
SPEEDS: tuple[Speed, ...] = ("quick", "slow")
# Seconds one mutation's tests may take before the run is cut; slow ones apply Terraform.
DEFAULT_TIMEOUT: dict[Speed, int] = {"quick": 120, "slow": 900}
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_FIELDS = {"id", "rows", "file", "find", "replace", "tests", "speed", "timeout", "why", "pending"}


class CatalogueError(ValueError):
    """The data file is malformed; the message names the mutation, the field and the fix."""


@dataclass(frozen=True)
class Mutation:
    id: str
    rows: tuple[int, ...]
    why: str
    file: str = ""
    find: str = ""
    replace: str = ""
    tests: tuple[str, ...] = ()
    speed: Speed = "quick"
    timeout: int = DEFAULT_TIMEOUT["quick"]
    pending: str | None = None


def _fail(where: str, field: str, problem: str, fix: str) -> CatalogueError:
    return CatalogueError(f"{where}: field {field!r} {problem}; {fix}")


def _text(entry: dict[str, Any], where: str, field: str) -> str:
    value = entry.get(field)
    if not isinstance(value, str) or not value:
        raise _fail(where, field, "is missing or not a non-empty string", "give it as text")
    return value


def _parse(entry: object, index: int) -> Mutation:
    where = f"docs/mutations.yaml mutation #{index}"
    if not isinstance(entry, dict):
        raise CatalogueError(f"{where}: expected a mapping with id, rows, file, find, ...")
    entry = cast(dict[str, Any], entry)
    unknown = set(entry) - _FIELDS
    if unknown:
        raise _fail(where, sorted(unknown)[0], "is unknown", f"use only {sorted(_FIELDS)}")
    ident = _text(entry, where, "id")
    if not _ID.match(ident):
        raise _fail(where, "id", f"{ident!r} is not kebab-case", "use a-z, 0-9 and '-'")
    where = f"docs/mutations.yaml mutation {ident!r}"
    rows = entry.get("rows")
    if not isinstance(rows, list) or not rows or not all(isinstance(r, int) for r in rows):
        raise _fail(where, "rows", "must be a non-empty list of table row numbers", "e.g. [34]")
    why = _text(entry, where, "why")
    pending = entry.get("pending")
    if pending is not None:
        if not isinstance(pending, str) or not pending:
            raise _fail(where, "pending", "must be a reason", 'e.g. "depot refactor (issue 12)"')
        return Mutation(id=ident, rows=tuple(rows), why=why, pending=pending)
    speed = entry.get("speed", "quick")
    if speed not in SPEEDS:
        raise _fail(where, "speed", f"is {speed!r}", "use quick or slow")
    speed = cast(Speed, speed)
    timeout = entry.get("timeout", DEFAULT_TIMEOUT[speed])
    if not isinstance(timeout, int) or timeout <= 0:
        raise _fail(where, "timeout", "must be a positive number of seconds", "e.g. 120")
    tests = entry.get("tests")
    if not isinstance(tests, list) or not tests or not all(isinstance(t, str) for t in tests):
        raise _fail(where, "tests", "must list pytest node ids", "e.g. [tests/chart/x.py::t]")
    replace = entry.get("replace")
    if not isinstance(replace, str):
        raise _fail(where, "replace", "is missing", "give the text the 'find' text becomes")
    find = _text(entry, where, "find")
    if find == replace:
        raise _fail(where, "replace", "equals 'find'", "a mutation must change the text")
    return Mutation(
        id=ident,
        rows=tuple(rows),
        why=why,
        file=_text(entry, where, "file"),
        find=find,
        replace=replace,
        tests=tuple(tests),
        speed=speed,
        timeout=timeout,
    )


def load(path: Path = CATALOGUE) -> list[Mutation]:
    """Every mutation of the data file; raises CatalogueError naming the field to fix."""
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise CatalogueError(f"{path.name} is not valid YAML ({error}); quote the value") from error
    if not isinstance(data, dict) or not isinstance(data.get("mutations"), list):
        raise CatalogueError(f"{path.name}: expected a top-level 'mutations:' list")
    mutations = [_parse(entry, i) for i, entry in enumerate(data["mutations"], start=1)]
    seen: set[str] = set()
    for mutation in mutations:
        if mutation.id in seen:
            raise CatalogueError(f"{path.name}: id {mutation.id!r} is used twice; rename one")
        seen.add(mutation.id)
    return mutations


def staleness(mutation: Mutation, root: Path) -> str | None:
    """Why `mutation` no longer applies to the tree at `root`, or None when it does.

    The text to change must occur exactly once: zero means the implementation moved or
    changed (the mutation would silently test nothing), two means it is ambiguous.
    """
    target = root / mutation.file
    if not target.is_file():
        return f"file {mutation.file} does not exist"
    count = target.read_text().count(mutation.find)
    if count != 1:
        return f"'find' text occurs {count} times in {mutation.file}, expected exactly once"
    for test in mutation.tests:
        path = test.split("::", 1)[0]
        if not (root / path).exists():
            return f"test path {path} does not exist"
    return None
