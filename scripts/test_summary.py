"""Print one closing line for the whole suite from the JUnit reports of every pytest run.

`make test` runs several pytest sessions (one per area); CI and people want a single
verdict, so this sums them into the plain `N passed, N failed, N skipped` line.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def main(report_dir: str) -> int:
    passed = failed = skipped = 0
    reports = sorted(Path(report_dir).glob("*.xml"))
    lines = []
    for report in reports:
        root = ET.parse(report).getroot()  # noqa: S314 - our own pytest output
        seconds = 0.0
        for suite in root.iter("testsuite"):
            tests = int(suite.get("tests", 0))
            bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            skip = int(suite.get("skipped", 0))
            failed += bad
            skipped += skip
            passed += tests - bad - skip
            seconds += float(suite.get("time", 0))
        # Each area's wall time, so a slow area shows without reading the whole log.
        lines.append(f"  {report.stem}: {seconds:.0f} s")
    print(f"suite: {len(reports)} pytest sessions")
    print("\n".join(lines))
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or not reports else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
