"""The log contract, derived from the platform's log pipeline (observability/logging/
config.alloy): every line a container writes is one JSON object carrying the field the
pipeline takes the time from and the fields it makes labels of."""

from __future__ import annotations

import json
import re
from datetime import datetime

from tests.support.tools import ROOT
from tools.conformance.findings import Finding, failed, passed

PIPELINE = ROOT / "observability" / "logging" / "config.alloy"
CHECK = "logs"
_SHOWN = 3


def required_fields(config: str) -> tuple[str, set[str]]:
    """(the timestamp field, every field a label is made of) in the pipeline config."""
    timestamp = re.search(r'stage\.timestamp\s*\{[^}]*source\s*=\s*"(\w+)"', config)
    labels = re.search(r"stage\.labels\s*\{\s*values\s*=\s*\{([^}]*)\}", config)
    if not timestamp or not labels:
        raise ValueError(f"{PIPELINE}: no stage.timestamp source or stage.labels found")
    return timestamp.group(1), set(re.findall(r"(\w+)\s*=", labels.group(1)))


def _problem(line: str, timestamp: str, fields: set[str]) -> str | None:
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return "not JSON"
    if not isinstance(record, dict):
        return "not a JSON object"
    missing = ({timestamp} | fields) - record.keys()
    if missing:
        return f"no {sorted(missing)}"
    try:
        datetime.fromisoformat(str(record[timestamp]).replace("Z", "+00:00"))
    except ValueError:
        return f"{timestamp} {record[timestamp]!r} is not RFC 3339"
    return None


def check_logs(stdout: str, stderr: str) -> list[Finding]:
    timestamp, fields = required_fields(PIPELINE.read_text())
    expected = f"one JSON object per line with {sorted({timestamp} | fields)}, {timestamp} RFC 3339"
    if not stdout.strip():
        return [failed(CHECK, "nothing was logged on stdout", expected, "no line on stdout")]
    problems = []
    for stream, text in (("stdout", stdout), ("stderr", stderr)):
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip() and (problem := _problem(line, timestamp, fields)):
                problems.append(f"{stream} line {number}: {problem}: {line[:120]!r}")
    if problems:
        return [
            failed(
                CHECK,
                f"{len(problems)} log lines the pipeline cannot use",
                expected,
                "; ".join(problems[:_SHOWN]),
            )
        ]
    return [passed(CHECK, f"every line is JSON with {sorted({timestamp} | fields)}")]
