"""One place for what a user must set: `make configure` reaches every file that uses it.

A copy of the repository is configured with other values; any shipped placeholder left
outside platform-settings.yaml (and the files it lists with a reason) fails the test, so
a new file that hard-codes the organisation or an account id is caught the day it lands.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.tools import ROOT

SETTINGS = "platform-settings.yaml"
# The shipped placeholders, as they appear in files (owner, owner/repo, account ids, the
# environments' DNS names).
PLACEHOLDER_PATTERNS = {
    "GitHub owner": re.compile(r"(?<![\w.-])example-org(?![\w-])"),
    "owner/repository": re.compile(r"example-org/depot-platform"),
    "account id": re.compile(r"(?<!\d)(111111111111|222222222222|333333333333|444444444444)(?!\d)"),
    "environment domain": re.compile(r"\b(dev|staging|prod)\.example\.com\b"),
}
REAL = {
    "owner": "acme-corp",
    "repository": "platform",
    "teams": {"platform": "plat", "depot": "depot-devs", "leads": "leads", "sre": "oncall"},
    "region": "us-east-2",
    "accounts": {
        "shared": "900000000001",
        "dev": "900000000002",
        "staging": "900000000003",
        "prod": "900000000004",
    },
    "domain": "acme.example.net",
}


def repository_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()
    return [p for p in listed.split("\0") if p and (ROOT / p).is_file()]


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's files (no .git: configure then walks the tree)."""
    target = tmp_path_factory.mktemp("configured")
    for rel in repository_files():
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, dest)
    return target


def set_settings(root: Path, values: dict[str, object]) -> None:
    path = root / SETTINGS
    data = yaml.safe_load(path.read_text())
    settings = data["settings"]
    settings["github"].update(
        owner=values["owner"], repository=values["repository"], teams=values["teams"]
    )
    settings["aws"].update(region=values["region"], accounts=values["accounts"])
    settings["domain"] = values["domain"]
    text = path.read_text()
    start, end = text.index("settings:\n"), text.index("\n# Written by `make configure`")
    block = yaml.safe_dump({"settings": settings}, sort_keys=False, default_style=None)
    # Account ids must stay strings.
    block = re.sub(r"(\s)(\d{12})\n", r'\1"\2"\n', block)
    path.write_text(text[:start] + block + text[end:])


def configure(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts/configure.py"), "--root", str(root), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def configured(copy: Path) -> Path:
    set_settings(copy, REAL)
    result = configure(copy)
    assert result.returncode == 0, result.stderr
    return copy


def test_no_placeholder_survives_outside_the_settings_file(configured: Path) -> None:
    keep = set(yaml.safe_load((configured / SETTINGS).read_text())["keeps_placeholders"])
    survivors = []
    for rel in repository_files():
        if rel in keep:
            continue
        try:
            text = (configured / rel).read_text()
        except (UnicodeDecodeError, FileNotFoundError):
            continue
        for kind, pattern in PLACEHOLDER_PATTERNS.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                survivors.append(f"{rel}:{line}: {kind} {match.group(0)!r}")
    assert not survivors, "placeholders make configure did not reach:\n" + "\n".join(survivors)


def test_the_values_land_where_github_and_aws_read_them(configured: Path) -> None:
    owners = (configured / ".github/CODEOWNERS").read_text()
    assert "/gitops/environments/prod/      @acme-corp/leads @acme-corp/oncall" in owners
    terraform = (configured / ".github/workflows/terraform.yml").read_text()
    assert '{ root: prod, account: "900000000004", mode: apply }' in terraform
    release = (configured / ".github/workflows/release.yml").read_text()
    assert "900000000001.dkr.ecr.us-east-2.amazonaws.com/${{ matrix.service }}" in release
    for tfvars in (configured / "infra/live").rglob("*.tfvars"):
        text = tfvars.read_text()
        if "github_repository" in text:
            assert 'github_repository = "acme-corp/platform"' in text, tfvars
    argocd = "\n".join(p.read_text() for p in (configured / "gitops/argocd").rglob("*.yaml"))
    assert "https://github.com/acme-corp/platform.git" in argocd
    dev = (configured / "gitops/environments/dev/depot.yaml").read_text()
    assert "depot.dev.acme.example.net" in dev


class _ConfigLoader(yaml.SafeLoader):
    """Safe loading, plus the `!!python/name:` tag MkDocs configurations use to name a
    Python callable (mkdocs.yml's Mermaid fence): read as its name, never imported."""


_ConfigLoader.add_multi_constructor(
    "tag:yaml.org,2002:python/name:", lambda _loader, suffix, _node: suffix
)


def test_configured_yaml_and_json_still_parse(configured: Path) -> None:
    import json

    for rel in repository_files():
        path = configured / rel
        if path.suffix in {".yaml", ".yml"} and "templates" not in path.parts:
            list(yaml.load_all(path.read_text(), Loader=_ConfigLoader))
        elif path.suffix == ".json":
            json.loads(path.read_text())


def test_configure_records_what_it_applied_and_is_idempotent(configured: Path) -> None:
    data = yaml.safe_load((configured / SETTINGS).read_text())
    assert data["applied"] == data["settings"]
    again = configure(configured)
    assert again.returncode == 0 and "0 files changed" in again.stdout
    assert configure(configured, "--check").returncode == 0


def test_check_fails_while_placeholders_are_set() -> None:
    result = configure(ROOT, "--check")
    assert result.returncode == 1
    assert "settings.github.owner is still the placeholder 'example-org'" in result.stderr


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "accounts",
            {"shared": "1", "dev": "2", "staging": "3", "prod": "4"},
            "aws.accounts.shared",
        ),
        ("owner", "-bad-", "github.owner"),
        ("region", "Europe", "aws.region"),
        ("domain", "Not A Domain", "domain"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(
    tmp_path: Path, field: str, value: object, message: str
) -> None:
    shutil.copy2(ROOT / SETTINGS, tmp_path / SETTINGS)
    set_settings(tmp_path, {**REAL, field: value})
    result = configure(tmp_path)
    assert result.returncode == 2
    assert f"settings.{message}" in result.stderr and "invalid" in result.stderr


def prerequisites_section() -> str:
    text = (ROOT / "docs/delivery.md").read_text()
    start = text.index("## Prerequisites, in order")
    return text[start : text.index("\n## ", start + 1)]


def test_the_prerequisites_name_every_environment_variable_and_secret_workflows_use() -> None:
    from tests.delivery.test_workflows import WORKFLOWS, load

    section = prerequisites_section()
    texts = "\n".join(p.read_text() for p in sorted(WORKFLOWS.glob("*.yml")))
    names = set(re.findall(r"\b(?:vars|secrets)\.([A-Z][A-Z0-9_]+)", texts))
    roots = [j["with"]["root"] for j in load(WORKFLOWS / "terraform.yml")["jobs"].values()
             if j.get("with", {}).get("mode") == "apply"]  # fmt: skip
    names |= {f"infra-{r}" for r in roots} | {f"infra-{r}-plan" for r in roots}
    names |= {
        str(j["environment"])
        for p in WORKFLOWS.glob("*.yml")
        for j in load(p)["jobs"].values()
        if "environment" in j and "{" not in str(j["environment"])
    }
    missing = sorted(n for n in names if f"`{n}`" not in section)
    assert not missing, f"docs/delivery.md prerequisites do not mention {missing}"
    for step in ("AWS bootstrap", "Environments", "Ruleset", "GitHub Apps", "Renovate",
                 "Code scanning", "codeowners/errors", "PLATFORM_ENVIRONMENTS_READY"):  # fmt: skip
        assert step in section, step
    # Environments before the switch that lets workflows use them.
    assert section.index("**Environments**") < section.index("PLATFORM_ENVIRONMENTS_READY --body")
