"""Images that break one clause of the contract each fail exactly that clause, with a
message a migrating team can act on; the same toy service without the flaw passes, so
each failure is the flaw's and not the toy's."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conformance.conftest import TOY_CONTRACT, Conform
from tests.conformance.toy import ROOT_FLAW
from tools.conformance.findings import DOC

# flaw -> (the check that must fail, words each of its failures must carry)
FLAWS = {
    ROOT_FLAW: ("user", ["the image runs as root", "USER 10001:10001", "USER 0:0"]),
    "plain-logs": ("logs", ["log lines the pipeline cannot use", "not JSON", "stdout line 1"]),
    "no-histogram": ("metrics", ["http_request_duration_seconds_bucket is not exposed"]),
    "ignores-sigterm": ("drain", ["SIGTERM"]),
    "quits-on-sigterm": ("drain", ["stopped serving before the kubelet could see it unready"]),
    "ignores-config": ("configuration", ["started without a usable"]),
    "loopback": ("probes", ["the startup probe never passed", "passing within 10s of start"]),
}


def test_the_toy_without_a_flaw_conforms(conformance: Conform, toy: Callable[[str], str]) -> None:
    findings = conformance(toy("none"), TOY_CONTRACT)
    assert [f.render() for f in findings if not f.ok] == []


@pytest.mark.parametrize("flaw", sorted(FLAWS))
def test_a_flawed_image_fails_its_check_with_an_actionable_message(
    conformance: Conform, toy: Callable[[str], str], flaw: str
) -> None:
    check, words = FLAWS[flaw]
    findings = conformance(toy(flaw), TOY_CONTRACT)
    failures = [f for f in findings if not f.ok]
    assert failures, f"{flaw}: every check passed"
    assert {f.check for f in failures} == {check}, [f.render() for f in failures]
    text = "\n".join(f.render() for f in failures)
    for word in words:
        assert word in text, text
    for failure in failures:
        assert failure.expected and failure.seen, failure
        assert f"read:     {DOC}#{check}" in failure.render()


def test_ignoring_sigterm_fails_readiness_and_the_exit_deadline(
    conformance: Conform, toy: Callable[[str], str]
) -> None:
    failures = [f for f in conformance(toy("ignores-sigterm"), TOY_CONTRACT) if not f.ok]
    summaries = {f.summary for f in failures}
    assert summaries == {
        "readiness did not turn failing on SIGTERM",
        "the process outlived the grace period: the kubelet would SIGKILL it",
    }


def test_ignoring_configuration_fails_both_the_missing_and_the_invalid_case(
    conformance: Conform, toy: Callable[[str], str]
) -> None:
    failures = [f for f in conformance(toy("ignores-config"), TOY_CONTRACT) if not f.ok]
    assert sorted(f.summary for f in failures) == [
        "started without a usable TOY_GREETING",
        "started without a usable TOY_WORKERS",
    ]
