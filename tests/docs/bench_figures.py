"""Where the documentation quotes a `make bench` figure, and which figure of the result file.

One committed result file (`bench/results/reference.json`, one whole `make bench` run) is
the source of every benchmark figure the README and `docs/` quote. Each `Quote` is the
phrasing a figure is quoted in (a regular expression whose groups capture the numbers as
written) and the values of the result file those numbers must equal, at the precision the
text gives. The phrasings are the table rows and sentences the documents use, so a quote
keeps being found when a section moves from the README to a docs page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.tools import ROOT

REFERENCE = ROOT / "bench" / "results" / "reference.json"
SIZING_CONNECTIONS = 32  # bench/report.py: the concurrency whose CPU cost sizes pods
NUMBER = r"([\d,]+(?:\.\d+)?)"
TIMES = "\u00d7"  # the multiplication sign the documents write

Results = dict[str, Any]
Getter = Callable[[Results], float]


def _at(endpoint: str, key: str) -> Getter:
    def get(r: Results) -> float:
        point = next(p for p in r["depot"][endpoint] if p["connections"] == SIZING_CONNECTIONS)
        return float(point[key])

    return get


def _best_rps(endpoint: str) -> Getter:
    return lambda r: max(float(p["rps"]) for p in r["depot"][endpoint])


def _floor(framework: str, key: str) -> Getter:
    return lambda r: float(r["floors"][framework][key])


def _transfer(side: str, key: str, level: int) -> Getter:
    return lambda r: float(r["transfer"]["levels"][level][side][key])


def _sizing_mix(r: Results) -> float:
    return 0.8 * _at("GET /v1/documents/{id}", "server_cpu_ms_per_request")(r) + 0.2 * _at(
        "POST /v1/documents", "server_cpu_ms_per_request"
    )(r)


@dataclass(frozen=True)
class Quote:
    name: str
    pattern: str
    values: tuple[Getter, ...]
    # Text that marks a line as quoting this figure: such a line must match `pattern`, so
    # a rephrased quote fails instead of escaping the check.
    anchor: str | None = None

    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern.replace("{N}", NUMBER).replace("{X}", TIMES), re.MULTILINE)


GET_DOC, POST_DOC, LIVEZ = "GET /v1/documents/{id}", "POST /v1/documents", "GET /livez"
CPU = "server_cpu_ms_per_request"
QUOTES = (
    Quote(
        "livez throughput and its ratio to the bare FastAPI hello-world",
        r"`GET /livez` throughput[^|]*\| {N} req/s[^|]*\| {N} {X} bare FastAPI hello-world",
        (
            # bench/run.py: the ratio is of the best of the alternating rounds
            lambda r: max(float(x) for x in r["livez_vs_hello"]["livez_rps"]),
            lambda r: float(r["livez_vs_hello"]["throughput_ratio"]),
        ),
        anchor="`GET /livez` throughput",
    ),
    Quote(
        "CPU per /livez beside the hello-world floors",
        r"CPU per `GET /livez` \| {N} ms \| hello-world: FastAPI {N}, Starlette {N}, "
        r"Litestar {N} ms",
        (
            _at(LIVEZ, CPU),
            _floor("fastapi", CPU),
            _floor("starlette", CPU),
            _floor("litestar", CPU),
        ),
        anchor="CPU per `GET /livez`",
    ),
    Quote(
        "CPU per metadata GET beside the bare boto3 GetItem",
        r"CPU per `GET /v1/documents/\{id\}` \| {N} ms[^|]*\| one bare boto3 `GetItem` in the "
        r"same run: {N} ms, so {N}{X}",
        (
            _at(GET_DOC, CPU),
            lambda r: float(r["boto3_getitem_floor"]["cpu_ms_per_call"]),
            lambda r: float(r["targets"]["metadata_get_cpu_vs_getitem_floor"]["value"]),
        ),
        anchor="CPU per `GET /v1/documents/{id}`",
    ),
    Quote(
        "CPU per create",
        r"CPU per `POST /v1/documents` \| {N} ms",
        (_at(POST_DOC, CPU),),
        anchor="CPU per `POST /v1/documents`",
    ),
    Quote(
        "storage requests/s, best over the connection counts",
        r"storage requests/s[^|]*\| ~?{N} GET, ~?{N} POST",
        (_best_rps(GET_DOC), _best_rps(POST_DOC)),
        anchor="storage requests/s",
    ),
    Quote(
        "start to ready",
        r"start to ready[^|]*\| median {N} s, max {N} s",
        (
            lambda r: float(r["start_to_ready_seconds"]["median"]),
            lambda r: float(r["start_to_ready_seconds"]["max"]),
        ),
        anchor="| start to ready",
    ),
    Quote(
        "resident memory per worker",
        r"resident memory per worker \| {N} MiB idle, {N} MiB after load",
        (lambda r: float(r["rss_mib_idle"]), lambda r: float(r["rss_mib_after_load"])),
        anchor="| resident memory per worker",
    ),
    Quote(
        "uploads at 1, 8, 32 and 64 at once beside the boto3 floor",
        r"uploads at 1 / 8 / 32 / 64 at once[^|]*\| {N} / {N} / {N} / {N} MiB/s, peak RSS "
        r"{N} / {N} / {N} / {N} MiB \| bare boto3 multipart in the same run: "
        r"{N} / {N} / {N} / {N} MiB/s",
        tuple(
            [_transfer("depot", "upload_mib_s", i) for i in range(4)]
            + [_transfer("depot", "peak_rss_mib", i) for i in range(4)]
            + [_transfer("boto3_floor", "upload_mib_s", i) for i in range(4)]
        ),
        anchor="uploads at 1 / 8 / 32 / 64",
    ),
    Quote(
        "downloads at 1, 8, 32 and 64 at once beside the boto3 floor",
        r"downloads at 1 / 8 / 32 / 64 at once \| {N} / {N} / {N} / {N} MiB/s \| "
        r"bare boto3: {N} / {N} / {N} / {N} MiB/s",
        tuple(
            [_transfer("depot", "download_mib_s", i) for i in range(4)]
            + [_transfer("boto3_floor", "download_mib_s", i) for i in range(4)]
        ),
        anchor="downloads at 1 / 8 / 32 / 64",
    ),
    Quote(
        "the long rollout",
        r"rolling update[^|]*\| {N} requests, {N} failed, {N} of {N} acknowledged writes "
        r"lost[^|\d]*(?:\|[^|\d]*)?{N} req/s reached",
        (
            lambda r: float(r["rollout"]["requests"]),
            lambda r: float(r["rollout"]["failed"]),
            lambda r: float(r["rollout"]["lost_writes"]),
            lambda r: float(r["rollout"]["acknowledged_writes"]),
            lambda r: float(r["rollout"]["achieved_rate"]),
        ),
        anchor="acknowledged writes",
    ),
    Quote(
        "the sizing mix of 80 % reads and 20 % writes",
        r"0\.8 {X} {N} \+ 0\.2 {X} {N} = \*\*{N} ms",
        (_at(GET_DOC, CPU), _at(POST_DOC, CPU), _sizing_mix),
    ),
    *(
        Quote(
            f"content transfer, {at} at once",
            rf"^\| {at} \| {{N}} \| {{N}} \| {{N}} \| {{N}} \| {{N}} \| {{N}} / {{N}} \|",
            (
                _transfer("depot", "upload_mib_s", level),
                _transfer("boto3_floor", "upload_mib_s", level),
                _transfer("depot", "download_mib_s", level),
                _transfer("boto3_floor", "download_mib_s", level),
                _transfer("depot", "peak_rss_mib", level),
                _transfer("depot", "stored", level),
                _transfer("depot", "refused_503", level),
            ),
        )
        for level, at in enumerate((1, 8, 32, 64))
    ),
    *(
        Quote(
            f"hello-world floor of {label}",
            rf"^\| {label} \| {{N}} \| {{N}} \| {{N}} MiB \|",
            (_floor(key, "rps"), _floor(key, CPU), _floor(key, "rss_mib")),
        )
        for label, key in (
            ("FastAPI", "fastapi"),
            ("Starlette", "starlette"),
            ("Litestar", "litestar"),
        )
    ),
)


def documents() -> list[Path]:
    """The README and every Markdown page under docs/, wherever a section lives."""
    readme = ROOT / "README.md"
    return ([readme] if readme.is_file() else []) + sorted((ROOT / "docs").rglob("*.md"))


@dataclass(frozen=True)
class Mismatch:
    where: str
    quote: str
    quoted: str
    expected: float

    def __str__(self) -> str:
        if self.expected != self.expected:  # NaN: a phrasing the pattern cannot read
            return f"{self.where}: {self.quote}: quoted in a phrasing the check cannot read"
        return (
            f"{self.where}: {self.quote}: quotes {self.quoted}, the result file has {self.expected}"
        )


def agrees(quoted: str, value: float) -> bool:
    """Whether `quoted` is `value` at the precision it is written with."""
    text = quoted.replace(",", "")
    decimals = len(text.partition(".")[2])
    return bool(abs(float(text) - value) <= 0.5 * 10.0**-decimals + 1e-9)


def check_text(
    text: str, where: str, results: Results, quotes: tuple[Quote, ...] = QUOTES
) -> tuple[list[Mismatch], set[str]]:
    """Mismatches in one document, and the names of the quotes found in it."""
    mismatches, found = [], set()
    lines = text.splitlines()
    for quote in quotes:
        regex = quote.regex()
        for number, line in enumerate(lines, 1):
            if quote.anchor and quote.anchor in line and not regex.search(line):
                mismatches.append(Mismatch(f"{where}:{number}", quote.name, line, float("nan")))
        for match in regex.finditer(text):
            found.add(quote.name)
            at_line = text.count("\n", 0, match.start()) + 1
            for quoted, get in zip(match.groups(), quote.values, strict=True):
                expected = get(results)
                if not agrees(quoted, expected):
                    mismatches.append(Mismatch(f"{where}:{at_line}", quote.name, quoted, expected))
    return mismatches, found


def formatted(quoted: str, value: float) -> str:
    """`value` written as `quoted` was: same decimals, thousands separators if it had them."""
    decimals = len(quoted.replace(",", "").partition(".")[2])
    return f"{value:,.{decimals}f}" if "," in quoted else f"{value:.{decimals}f}"


def rewrite(text: str, results: Results, quotes: tuple[Quote, ...] = QUOTES) -> str:
    """`text` with every quoted figure replaced by the result file's, at its precision."""
    for quote in quotes:
        pieces, last = [], 0
        for match in quote.regex().finditer(text):
            for group, get in enumerate(quote.values, 1):
                pieces += [text[last : match.start(group)], formatted(match[group], get(results))]
                last = match.end(group)
        text = "".join(pieces) + text[last:]
    return text


def main(argv: list[str] | None = None) -> None:
    """`python -m tests.docs.bench_figures [FILE...]`: rewrite the quoted figures in place
    from bench/results/reference.json (default: the README and every docs/ page)."""
    import json
    import sys

    results = json.loads(REFERENCE.read_text())
    paths = [Path(a) for a in (sys.argv[1:] if argv is None else argv)] or documents()
    for path in paths:
        old = path.read_text()
        new = rewrite(old, results)
        if new != old:
            path.write_text(new)
            print(f"rewrote {path}")


if __name__ == "__main__":
    main()
