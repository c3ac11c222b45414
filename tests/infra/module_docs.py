"""The inputs/outputs tables of the module READMEs, generated from the .tf files.

`python -m tests.infra.module_docs --write` (or `make infra-docs`) rewrites the part of
each infra/modules/*/README.md between the BEGIN/END markers; the tests fail when a
README is stale, as terraform-docs would in CI.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from tests.support.tools import ROOT

MODULES = ROOT / "infra" / "modules"
BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"
BLOCK = re.compile(r'^(variable|output) "([^"]+)" \{\n(.*?)^\}', re.M | re.S)


def _attribute(body: str, name: str) -> str | None:
    """A top-level attribute's value (heredocs and multi-line types collapsed)."""
    heredoc = re.search(rf"^  {name}\s*=\s*<<-?(\w+)\n(.*?)^\s*\1$", body, re.M | re.S)
    if heredoc:
        return " ".join(line.strip() for line in heredoc.group(2).splitlines())
    match = re.search(
        rf"^  {name}\s*=\s*(.*?)(?=^  [a-z_]+\s*=|^  [a-z_]+ \{{|\Z)", body, re.M | re.S
    )
    if not match:
        return None
    return " ".join(line.strip() for line in match.group(1).strip().splitlines())


def _cell(text: str) -> str:
    return re.sub(r"\s+", " ", text).replace("|", "\\|").strip('"')


def tables(module: Path) -> str:
    text = "\n".join(p.read_text() for p in sorted(module.glob("*.tf")))
    inputs = ["| name | description | type | default |", "|---|---|---|---|"]
    outputs = ["| name | description |", "|---|---|"]
    for kind, name, body in BLOCK.findall(text):
        description = _cell(_attribute(body, "description") or "")
        if kind == "variable":
            default = _attribute(body, "default")
            shown = "required" if default is None else f"`{_cell(default)}`"
            kind_text = _cell(_attribute(body, "type") or "any")
            inputs.append(f"| `{name}` | {description} | `{kind_text}` | {shown} |")
        else:
            outputs.append(f"| `{name}` | {description} |")
    return "\n".join([BEGIN, "## Inputs", "", *inputs, "", "## Outputs", "", *outputs, END])


def render(readme: Path) -> str:
    current = readme.read_text()
    if BEGIN not in current or END not in current:
        raise ValueError(f"{readme}: add the markers {BEGIN} and {END} where the tables go")
    head, rest = current.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    return head + tables(readme.parent) + tail


def stale() -> list[Path]:
    return [r for r in sorted(MODULES.glob("*/README.md")) if r.read_text() != render(r)]


def main(argv: list[str]) -> int:
    if "--write" in argv:
        for readme in sorted(MODULES.glob("*/README.md")):
            readme.write_text(render(readme))
        return 0
    out_of_date = stale()
    for path in out_of_date:
        print(f"stale: {path.relative_to(ROOT)} (run make infra-docs)")
    return 1 if out_of_date else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
