"""The image's own configuration: the user it declares must be the non-root uid the chart
runs it as (runAsNonRoot, runAsUser): files the image made for its user are then the
process's own, and nothing in the image assumes root."""

from __future__ import annotations

from typing import Any

from tools.conformance.chart import ChartRun
from tools.conformance.findings import Finding, failed, passed

CHECK = "user"


def check_user(config: dict[str, Any], run: ChartRun) -> Finding:
    declared = str(config.get("Config", {}).get("User") or "")
    expected = f"USER {run.user}:{run.group} (numeric, non-root: the chart's runAsUser/runAsGroup)"
    uid, _, gid = declared.partition(":")
    if not declared or uid in {"0", "root"}:
        return failed(
            CHECK, "the image runs as root", expected, f"USER {declared or '(unset: root)'}"
        )
    if not uid.isdigit() or (gid and not gid.isdigit()):
        return failed(
            CHECK,
            "the image names its user, runAsNonRoot needs a number",
            expected,
            f"USER {declared}",
        )
    if int(uid) != run.user or (gid and int(gid) != run.group):
        return failed(
            CHECK,
            "the image's user is not the one the chart runs it as",
            expected,
            f"USER {declared}",
        )
    return passed(CHECK, f"USER {declared}, as the chart runs it")
