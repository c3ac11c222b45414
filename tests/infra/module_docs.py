"""Generated documentation: the inputs/outputs tables of the module READMEs (from the
.tf files) and the environments side by side in docs/infra.md (from the tfvars).

`python -m tests.infra.module_docs --write` (or `make infra-docs`) rewrites the parts
between the BEGIN/END markers; the tests fail when one is stale, as terraform-docs would
in CI.
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


ENV_DOC = ROOT / "docs" / "infra.md"
ENV_BEGIN, ENV_END = "<!-- BEGIN_ENVIRONMENTS -->", "<!-- END_ENVIRONMENTS -->"
ENVIRONMENTS = ("dev", "staging", "prod")


def tfvars(environment: str) -> dict[str, str]:
    """name => value text of one root's terraform.tfvars (blocks collapsed to one line)."""
    text = (ROOT / "infra" / "live" / environment / "terraform.tfvars").read_text()
    values: dict[str, str] = {}
    for match in re.finditer(r"^([a-z_]+)\s*=\s*(.*?)(?=^[a-z_]+\s*=|\Z)", text, re.M | re.S):
        lines = [line.split("#", 1)[0].strip() for line in match.group(2).splitlines()]
        values[match.group(1)] = " ".join(line for line in lines if line)
    return values


def environment_table() -> str:
    per_env = {env: tfvars(env) for env in ENVIRONMENTS}
    names = list(per_env["dev"])
    rows = [
        "| variable | " + " | ".join(ENVIRONMENTS) + " |",
        "|---" * (len(ENVIRONMENTS) + 1) + "|",
    ]
    for name in names:
        cells = [f"`{_cell(per_env[env].get(name, '(unset)'))}`" for env in ENVIRONMENTS]
        rows.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return "\n".join([ENV_BEGIN, *rows, ENV_END])


def render_environment_doc() -> str:
    current = ENV_DOC.read_text()
    if ENV_BEGIN not in current or ENV_END not in current:
        raise ValueError(f"{ENV_DOC}: add the markers {ENV_BEGIN} and {ENV_END}")
    head, rest = current.split(ENV_BEGIN, 1)
    return head + environment_table() + rest.split(ENV_END, 1)[1]


def stale_environment_table() -> bool:
    return ENV_DOC.read_text() != render_environment_doc()


def stale() -> list[Path]:
    return [r for r in sorted(MODULES.glob("*/README.md")) if r.read_text() != render(r)]


def main(argv: list[str]) -> int:
    if "--write" in argv:
        for readme in sorted(MODULES.glob("*/README.md")):
            readme.write_text(render(readme))
        ENV_DOC.write_text(render_environment_doc())
        return 0
    out_of_date = stale() + ([ENV_DOC] if stale_environment_table() else [])
    for path in out_of_date:
        print(f"stale: {path.relative_to(ROOT)} (run make infra-docs)")
    return 1 if out_of_date else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
