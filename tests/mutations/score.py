"""Mutation score of the Python code the platform owns, with mutmut (issue 17, item 3).

    python -m tests.mutations.score [--module tools/delivery]

mutmut mutates operators, constants and arguments of the chosen modules and runs the
tests that cover them once per mutant. It writes into the tree it runs in (a `mutants/`
copy and its config), so it runs in a throwaway copy of the working tree made the same
way as the promise mutations' copies. The score and every survivor are written to
bench/results/mutation-score.txt; docs/mutation-score.md records the decisions.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.mutations.catalogue import ROOT
from tests.mutations.workspace import make_copy

MUTMUT = "mutmut==3.8.1"  # PyPI; 3.x runs every mutant in one process (trampolines)
# The modules and the tests that exercise them; every test of tests/delivery would also
# render the whole platform per mutant, which proves nothing more about these modules.
TARGETS = {
    "tools/delivery": [
        "tests/delivery/test_promotion_tool.py",
        "tests/delivery/test_versions.py",
    ],
}
COPIED = [
    "tests/", "gitops/", "charts/", "services/", ".github/", "docs/", "observability/",
    ".cache/", "infra/", "mk/", "scripts/", "Makefile", "bench/",
]  # fmt: skip


def config(module: str, tests: list[str]) -> str:
    quoted = ", ".join(f'"{t}"' for t in tests)
    copied = ", ".join(f'"{c}"' for c in COPIED)
    return (
        "\n[tool.mutmut]\n"
        f'source_paths = ["{module}/"]\n'
        f"pytest_add_cli_args_test_selection = [{quoted}]\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-o", "addopts="]\n'
        f"also_copy = [{copied}]\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", choices=sorted(TARGETS), default="tools/delivery")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mutmut-") as tmp:
        copy = make_copy(ROOT, Path(tmp))
        with (copy / "pyproject.toml").open("a") as pyproject:
            pyproject.write(config(args.module, TARGETS[args.module]))
        mutmut = ["uv", "run", "--frozen", "--with", MUTMUT, "mutmut"]
        subprocess.run([*mutmut, "run"], cwd=copy, check=False, capture_output=True)
        results = subprocess.run(
            [*mutmut, "results", "--all", "true"], cwd=copy, capture_output=True, text=True
        ).stdout
        lines = [line.strip() for line in results.splitlines() if ": " in line]
        verdicts = [line.rsplit(": ", 1)[1] for line in lines]
        killed = verdicts.count("killed")
        survivors = [line for line in lines if not line.endswith(": killed")]
        diffs = [
            subprocess.run(
                [*mutmut, "show", line.split(":", 1)[0]], cwd=copy, capture_output=True,
                text=True,
            ).stdout
            for line in survivors
        ]  # fmt: skip
    score = f"{args.module}: {killed}/{len(verdicts)} mutants killed"
    if verdicts:
        score += f" ({100 * killed / len(verdicts):.1f} %)"
    report = ROOT / "bench" / "results" / "mutation-score.txt"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("\n".join([score, "", *survivors, "", *diffs]) + "\n")
    print(score)
    print(f"{len(survivors)} not killed; each with its diff in {report.relative_to(ROOT)}")
    return 0 if verdicts else 1


if __name__ == "__main__":
    sys.exit(main())
