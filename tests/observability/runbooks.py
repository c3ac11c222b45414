"""The runbooks as data for the tests: template sections, the alerts each one covers,
its PromQL, LogQL and shell blocks, the selectors a PromQL query needs, and a small
evaluator of the LogQL subset the runbooks use against the service's real log lines."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.tools import ROOT

RUNBOOK_DIR = ROOT / "docs" / "runbooks"
NOT_ALERT_RUNBOOKS = {"README.md", "TEMPLATE.md", "break-glass.md"}
SECTIONS = ["What it means", "First checks", "Mitigation", "Escalation"]
# Namespaces of the platform itself, the same in every cluster; a tenant's namespace is
# always the alert's label ($namespace).
PLATFORM_NAMESPACES = {"monitoring", "logging", "argocd", "kube-system"}
# What an on-call substitutes from the alert's labels (and Grafana from its variables).
VARIABLES = {"$namespace": "depot", "$service": "depot"}

_BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)


@dataclass(frozen=True)
class Runbook:
    path: Path
    text: str

    @property
    def alerts(self) -> set[str]:
        line = next((ln for ln in self.text.splitlines() if ln.startswith("Alerts:")), "")
        head = line.split("·", 1)[0]
        return set(re.findall(r"`(\w+)`", head))

    @property
    def sections(self) -> list[str]:
        return re.findall(r"^## (.+)$", self.text, re.MULTILINE)

    def section(self, name: str) -> str:
        match = re.search(rf"^## {re.escape(name)}\n(.*?)(?=^## |\Z)", self.text, re.M | re.S)
        return match.group(1).strip() if match else ""

    def blocks(self, language: str) -> list[str]:
        return [body.strip() for lang, body in _BLOCK.findall(self.text) if lang == language]


def alert_runbooks() -> list[Runbook]:
    return [
        Runbook(p, p.read_text())
        for p in sorted(RUNBOOK_DIR.glob("*.md"))
        if p.name not in NOT_ALERT_RUNBOOKS
    ]


def template_problems(book: Runbook) -> list[str]:
    """What keeps a runbook from following docs/runbooks/TEMPLATE.md."""
    problems = []
    if not book.text.startswith("# "):
        problems.append("no title")
    if not book.alerts:
        problems.append("no `Alerts:` line naming the alerts")
    if book.sections != SECTIONS:
        problems.append(f"sections {book.sections}, expected {SECTIONS}")
    if not book.blocks("promql"):
        problems.append("no PromQL query in the first checks")
    if "break-glass.md" not in book.section("Mitigation"):
        problems.append("mitigation does not link the break-glass path")
    if len(book.section("Escalation")) < 40:
        problems.append("escalation says nothing")
    return problems


def hard_coded_namespaces(book: Runbook) -> list[str]:
    """Namespace or service values written out instead of the alert's labels."""
    found = []
    for query in book.blocks("promql") + book.blocks("logql"):
        for label, value in re.findall(r'\b(namespace|service)\s*=~?\s*"([^"]*)"', query):
            if value != f"${label}":
                found.append(f'{label}="{value}"')
    for script in book.blocks("sh"):
        for value in re.findall(r"(?:-n|--namespace)[ =]+(\S+)", script):
            if value.strip('"') not in PLATFORM_NAMESPACES | {"$namespace"}:
                found.append(f"-n {value}")
    return found


def substitute(query: str) -> str:
    for name, value in VARIABLES.items():
        query = query.replace(name, value)
    return query


_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_TOKEN = re.compile(
    r'(?P<braces>\{[^}]*\})|(?P<string>"(?:[^"\\]|\\.)*")|(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)'
)
_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and",
             "or", "unless", "offset", "inf", "nan"}  # fmt: skip


def vector_selectors(expr: str) -> list[str]:
    """Every instant or range vector selector of a PromQL query (metric name with its
    matchers), without a parser: grouping clauses and ranges removed, function calls
    and keywords skipped."""
    text = _GROUPING.sub(" ", re.sub(r"\[[^\]]*\]", " ", expr))
    selectors: list[str] = []
    tokens = list(_TOKEN.finditer(text))
    for i, token in enumerate(tokens):
        if token.group("braces"):
            previous = tokens[i - 1] if i else None
            attached = previous and previous.group("name") and previous.end() == token.start()
            if not attached:
                selectors.append(token.group("braces"))
            continue
        name = token.group("name")
        if not name or name.lower() in _KEYWORDS:
            continue
        rest = text[token.end() :].lstrip()
        if rest.startswith("("):
            continue  # a function
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        braces = nxt.group("braces") if nxt and nxt.start() == token.end() else None
        selectors.append(name + (braces or ""))
    return selectors


# --- LogQL -----------------------------------------------------------------------------

_STREAM = re.compile(r"\{([^}]*)\}")
_MATCHER = re.compile(r'(\w+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
_FILTER = re.compile(r'^(\w+)\s*(==|=~|!~|!=|>=|<=|=|>|<)\s*(".*"|[\d.]+)$')


def _matches(op: str, actual: Any, expected: str) -> bool:
    text = "" if actual is None else str(actual)
    if op in {"=", "=="}:
        return text == expected
    if op == "!=":
        return text != expected
    if op == "=~":
        return re.fullmatch(expected, text) is not None
    return re.fullmatch(expected, text) is None  # !~


def logql_problems(query: str, records: list[dict[str, Any]], labels: dict[str, str]) -> str:
    """Why a runbook's LogQL query cannot match the service's log lines ("" if it can).
    `records` are real JSON log lines; `labels` the stream labels the pipeline gives
    them (namespace, service; `level` comes from each line). Numeric comparisons only
    need the field to be a number (the threshold is the incident's); string filters and
    the stream selector are evaluated exactly."""
    query = substitute(query)
    stream = _STREAM.search(query)
    if not stream:
        return "no stream selector"
    pipeline = re.sub(r"\[[^\]]*\]\s*\)*\s*$", "", query[stream.end() :]).strip()
    pipeline = re.sub(r"\)+\s*$", "", pipeline)
    # Split on pipes outside quoted strings (a regex value may hold `|`).
    stages = [s.strip() for s in re.split(r'\|(?=(?:[^"]*"[^"]*")*[^"]*$)', pipeline) if s.strip()]
    candidates = []
    for record in records:
        stream_labels = {**labels, "level": record.get("level")}
        if all(
            _matches(op, stream_labels.get(name), value)
            for name, op, value in _MATCHER.findall(stream.group(1))
        ):
            candidates.append(record)
    if not candidates:
        return f"no log line has the stream labels {stream.group(0)}"
    parsed = False
    for stage in stages:
        if stage == "json":
            parsed = True
            continue
        if stage == "logfmt":
            return "the service logs JSON, `| logfmt` parses nothing"
        if stage.startswith("line_format"):
            fields = set(re.findall(r"\{\{\s*\.(\w+)\s*\}\}", stage))
            candidates = [r for r in candidates if fields <= r.keys()]
        else:
            match = _FILTER.match(stage)
            if not match:
                return f"stage not understood by the test: {stage!r}"
            if not parsed:
                return f"filter on field {match.group(1)!r} before `| json`"
            field, op, value = match.groups()
            if value.startswith('"'):
                expected = value[1:-1].replace('\\"', '"')
                candidates = [r for r in candidates if _matches(op, r.get(field), expected)]
            else:
                candidates = [r for r in candidates if isinstance(r.get(field), int | float)]
        if not candidates:
            return f"no log line passes `| {stage}`"
    return ""
