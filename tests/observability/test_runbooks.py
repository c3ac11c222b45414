"""Runbooks an on-call can follow at 3 a.m.: every alert has one, every runbook follows
the template (docs/runbooks/TEMPLATE.md) and names no tenant namespace. Their queries
are run against the live stack in test_live.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from observability.generate.params import DEFAULT_RUNBOOK_BASE_URL
from tests.observability.rule_facts import all_alerts
from tests.observability.runbooks import (
    RUNBOOK_DIR,
    Runbook,
    alert_runbooks,
    hard_coded_namespaces,
    template_problems,
    vector_selectors,
)

BOOKS = alert_runbooks()


@pytest.mark.parametrize("book", BOOKS, ids=lambda b: b.path.name)
def test_runbook_follows_the_template(book: Runbook) -> None:
    assert template_problems(book) == []


@pytest.mark.parametrize("book", BOOKS, ids=lambda b: b.path.name)
def test_runbook_hard_codes_no_namespace(book: Runbook) -> None:
    assert hard_coded_namespaces(book) == []


def test_a_runbook_off_the_template_is_caught() -> None:
    """The checks above can fail: an old-style runbook (no sections, no escalation, a
    hard-coded namespace) is reported."""
    bad = Runbook(
        RUNBOOK_DIR / "bad.md",
        "# Bad\n\n**Meaning.** x\n\n## Diagnose\n\n```sh\nkubectl -n depot get pods\n```\n\n"
        '```logql\n{namespace="depot"} | json\n```\n',
    )
    problems = template_problems(bad)
    assert any("sections" in p for p in problems) and any("Alerts" in p for p in problems)
    assert any("escalation" in p for p in problems) and any("break-glass" in p for p in problems)
    assert hard_coded_namespaces(bad) == ['namespace="depot"', "-n depot"]


def test_every_alert_has_exactly_one_runbook_and_links_it() -> None:
    owners: dict[str, list[str]] = {}
    for book in BOOKS:
        for alert in book.alerts:
            owners.setdefault(alert, []).append(book.path.name)
    for rule in all_alerts():
        name = rule["alert"]
        assert len(owners.get(name, [])) == 1, f"{name}: runbooks {owners.get(name)}"
        url = rule["annotations"]["runbook_url"]
        assert url == f"{DEFAULT_RUNBOOK_BASE_URL}/{owners[name][0]}", name


def test_the_index_lists_every_runbook() -> None:
    index = (RUNBOOK_DIR / "README.md").read_text()
    for book in BOOKS:
        assert f"]({book.path.name})" in index, book.path.name


def test_break_glass_works_with_self_heal() -> None:
    text = (RUNBOOK_DIR / "break-glass.md").read_text()
    assert "selfHeal" in text and "kind: deny" in text and "manualSync: true" in text
    assert "argocd app sync" in text and "git revert" in text


@pytest.mark.parametrize(
    ("expr", "selectors"),
    [
        ('sum by (route) (rate(http_requests_total{a="b"}[5m]))', ['http_requests_total{a="b"}']),
        ("count by (job) (up == 0)", ["up"]),
        ('count by (__name__) ({__name__=~"aws_.+"})', ['{__name__=~"aws_.+"}']),
        (
            "histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m]))) / on (a) y",
            ["x_bucket", "y"],
        ),
    ],
)
def test_selector_extraction(expr: str, selectors: list[str]) -> None:
    assert vector_selectors(expr) == selectors


# test_live.py runs every ```promql and ```logql block; a query in an untagged or
# differently tagged block would escape those checks.
_FENCE_LANGUAGES = {"promql", "logql", "sh", "yaml"}


def untagged_fences(text: str) -> list[str]:
    """Opening code fences without one of the languages the tests know."""
    problems, inside = [], False
    for number, line in enumerate(text.splitlines(), 1):
        if not line.startswith("```"):
            continue
        if not inside and line[3:].strip() not in _FENCE_LANGUAGES:
            problems.append(f"line {number}: {line!r}")
        inside = not inside
    return problems


@pytest.mark.parametrize("path", sorted(RUNBOOK_DIR.glob("*.md")), ids=lambda p: p.name)
def test_every_code_block_is_tagged_so_its_queries_are_checked(path: Path) -> None:
    assert untagged_fences(path.read_text()) == []


def test_an_untagged_query_block_is_caught() -> None:
    text = "```promql\nup\n```\n\n```\nrate(http_requests_total[5m])\n```\n"
    assert untagged_fences(text) == ["line 5: '```'"]
