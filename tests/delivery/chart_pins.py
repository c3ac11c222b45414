"""The add-on chart pins and the values keys we set, against the record of how each was
verified (docs/pins/charts.yaml).

Two uses:
- tests (offline, CI): every pin in gitops/argocd/addons.yaml is recorded with the same
  chart, repository and version, and every values key we set is a key the record says
  was found in that chart's source at that version;
- `python -m tests.delivery.chart_pins <mirrors>` (where the charts' Git repositories are
  at hand as mirrors, e.g. from a workstation): reads Chart.yaml and values.yaml at the
  recorded commit and prints what it finds, which is how the record was written.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.support.tools import ROOT

RECORD = ROOT / "docs/pins/charts.yaml"
ADDONS = ROOT / "gitops/argocd/addons.yaml"
VALUES = ROOT / "gitops/platform/addons"


def pins(addons: Path = ADDONS) -> list[dict[str, Any]]:
    appset = yaml.safe_load(addons.read_text())
    elements = appset["spec"]["generators"][0]["matrix"]["generators"][1]["list"]["elements"]
    return list(elements)


def record(path: Path = RECORD) -> dict[str, dict[str, Any]]:
    return {entry["addon"]: entry for entry in yaml.safe_load(path.read_text())["charts"]}


def value_paths(data: Any, prefix: str = "") -> set[str]:
    """Dotted paths of every leaf we set (a list counts as a leaf)."""
    if isinstance(data, dict) and data:
        paths: set[str] = set()
        for key, value in data.items():
            paths |= value_paths(value, f"{prefix}.{key}" if prefix else str(key))
        return paths
    return {prefix} if prefix else set()


def our_paths(addon: str, root: Path = VALUES) -> set[str]:
    files = [root / "values" / f"{addon}.yaml", *sorted(root.glob(f"environments/*/{addon}.yaml"))]
    paths: set[str] = set()
    for path in files:
        if path.is_file():
            paths |= value_paths(yaml.safe_load(path.read_text()) or {})
    return paths


def covered(path: str, keys: list[str]) -> bool:
    """A path is covered by a recorded key equal to it or by a recorded free-form map
    (recorded as `prefix.*`) above it."""
    for key in keys:
        if key == path:
            return True
        if key.endswith(".*") and (path + ".").startswith(key[:-1]):
            return True
    return False


def pin_violations(
    addons: Path = ADDONS, record_path: Path = RECORD, values_root: Path = VALUES
) -> list[str]:
    recorded = record(record_path)
    errors: list[str] = []
    for pin in pins(addons):
        entry = recorded.get(pin["addon"])
        if entry is None:
            errors.append(f"{pin['addon']}: chart pin not recorded in {RECORD.name}")
            continue
        for field, ours in (("chart", "chart"), ("repo", "repoURL"), ("version", "version")):
            if str(entry.get(field)) != str(pin[ours]):
                errors.append(
                    f"{pin['addon']}: {ours} {pin[ours]} but the record verified {entry.get(field)}"
                )
        for path in sorted(our_paths(pin["addon"], values_root)):
            if not covered(path, entry.get("values_keys", [])):
                errors.append(f"{pin['addon']}: values key {path} is not verified in the record")
    return errors


# ---- verification against a chart's source (needs the Git mirrors) ---------------------


def _show(git_dir: Path, commit: str, path: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(git_dir), "show", f"{commit}:{path}"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip


def _lookup(defaults: Any, path: str) -> tuple[str, str]:
    """(status, key to record) of one of our paths in the chart's default values."""
    node = defaults
    walked: list[str] = []
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
            walked.append(part)
            continue
        if walked and (node is None or node == {} or node == []):
            return "free-form", ".".join(walked) + ".*"
        return "absent", path
    return "present", path


def verify(mirrors: Path, addon: str, entry: dict[str, Any]) -> list[str]:
    source = entry["source"]
    git_dir = mirrors / source["mirror"] / "repo"
    chart = yaml.safe_load(_show(git_dir, source["commit"], f"{source['path']}/Chart.yaml"))
    lines = [f"{addon}: Chart.yaml name={chart['name']} version={chart['version']}"]
    defaults = yaml.safe_load(_show(git_dir, source["commit"], f"{source['path']}/values.yaml"))
    templates = subprocess.run(
        ["git", "--git-dir", str(git_dir), "grep", "-h", "-o", r"\.Values\.[A-Za-z0-9_.]*",
         source["commit"], "--", f"{source['path']}/templates"],
        capture_output=True, text=True, check=False, timeout=60,
    ).stdout  # fmt: skip
    used = set(re.findall(r"\.Values\.([A-Za-z0-9_.]+)", templates))
    for path in sorted(our_paths(addon)):
        status, key = _lookup(defaults, path)
        if status == "absent" and path in used:
            status = "template"
        lines.append(f"  {status:9} {key}")
    return lines


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(
            "usage: python -m tests.delivery.chart_pins MIRRORS\n"
            "  MIRRORS: a folder of git mirrors named owner+name/repo (e.g. fetched with"
            " `git clone --mirror`)",
            file=sys.stderr,
        )
        return 2
    mirrors = Path(argv[1])
    for addon, entry in record().items():
        print("\n".join(verify(mirrors, addon, entry)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
