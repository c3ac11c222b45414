"""One result of one check, worded for the team whose service is being held to the
contract: what was expected, what was seen, and which section of docs/conformance.md
explains the requirement and the usual fix."""

from __future__ import annotations

from dataclasses import dataclass

DOC = "docs/conformance.md"


@dataclass(frozen=True)
class Finding:
    check: str  # also the anchor of the section in docs/conformance.md
    ok: bool
    summary: str
    expected: str = ""
    seen: str = ""

    def render(self) -> str:
        if self.ok:
            return f"PASS {self.check}: {self.summary}"
        return "\n".join(
            [
                f"FAIL {self.check}: {self.summary}",
                f"  expected: {self.expected}",
                f"  seen:     {self.seen}",
                f"  read:     {DOC}#{self.check}",
            ]
        )


def passed(check: str, summary: str) -> Finding:
    return Finding(check, True, summary)


def failed(check: str, summary: str, expected: str, seen: str) -> Finding:
    return Finding(check, False, summary, expected, seen)
