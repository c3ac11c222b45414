"""Static checks of every module and root: formatting, validation, and the conventions
that make a module usable from its README alone."""

from __future__ import annotations

import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.infra import module_docs
from tests.infra.tf import Terraform
from tests.infra.workspace import INFRA, copy_infra

MODULES = sorted(p.name for p in (INFRA / "modules").iterdir() if p.is_dir())
# The environment roots' versions.tf are links to live/environment: validated once there.
ROOTS = sorted(
    str(p.parent.relative_to(INFRA))
    for p in INFRA.glob("live/**/versions.tf")
    if not p.is_symlink()
)
MODULE_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md")


def test_there_are_modules_and_roots() -> None:
    assert {"service-data", "service-identity", "ecr", "ci-identity"} <= set(MODULES)
    assert {"live/environment", "live/shared", "live/shared/bootstrap"} <= set(ROOTS)


def test_terraform_fmt(terraform: str) -> None:
    result = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-diff", "-no-color", str(INFRA)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, f"run `terraform fmt -recursive infra`:\n{result.stdout}"


ALIASES = re.compile(r"^\s*configuration_aliases\s*=\s*\[([^\]]*)\]\s*$", re.M)


def standalone_copy(module: Path) -> Path:
    """A module that expects aliased providers from its caller cannot be validated on
    its own. Validate a sibling copy that declares those aliases itself; the roots
    validate the original with the real provider wiring."""
    versions = module / "versions.tf"
    match = ALIASES.search(versions.read_text()) if versions.exists() else None
    if not match:
        return module
    copy = module.with_name(f"{module.name}-standalone")
    shutil.copytree(module, copy)
    (copy / "versions.tf").write_text(ALIASES.sub("", versions.read_text()))
    aliases = [a.strip().split(".", 1)[1] for a in match.group(1).split(",") if a.strip()]
    (copy / "zz_validate_providers.tf").write_text(
        "".join(
            f'provider "aws" {{\n  alias  = "{a}"\n  region = "eu-central-1"\n}}\n' for a in aliases
        )
    )
    return copy


@pytest.fixture(scope="module")
def validations(terraform: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    infra = copy_infra(tmp_path_factory.mktemp("validate"))
    targets = [f"modules/{m}" for m in MODULES] + ROOTS

    def validate(rel: str) -> dict:
        tf = Terraform(terraform, standalone_copy(infra / rel))
        tf.init("-backend=false")
        return tf.validate()

    # Two at a time: each validation loads the (large) AWS provider schema.
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(targets, pool.map(validate, targets), strict=True))


@pytest.mark.parametrize("target", [f"modules/{m}" for m in MODULES] + ROOTS)
def test_terraform_validate(validations: dict[str, dict], target: str) -> None:
    result = validations[target]
    problems = [
        f"{d['severity']}: {d['summary']} {d.get('detail', '')}" for d in result["diagnostics"]
    ]
    assert result["valid"], "\n".join(problems)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("module", MODULES)
def test_module_has_the_standard_files(module: str) -> None:
    missing = [f for f in MODULE_FILES if not (INFRA / "modules" / module / f).exists()]
    assert not missing, f"modules/{module} lacks {missing}"


def blocks(text: str, kind: str) -> dict[str, str]:
    """name => body of every top-level `kind "name" {` block (variables, outputs)."""
    found = {}
    for match in re.finditer(rf'^{kind} "([^"]+)" \{{\n(.*?)^\}}', text, re.M | re.S):
        found[match.group(1)] = match.group(2)
    return found


def all_tf(path: Path, name: str) -> str:
    return "\n".join(p.read_text() for p in sorted(path.glob(name)))


@pytest.mark.parametrize("target", [f"modules/{m}" for m in MODULES] + ROOTS)
def test_every_variable_has_description_and_type(target: str) -> None:
    variables = blocks(all_tf(INFRA / target, "variables.tf"), "variable")
    incomplete = [n for n, b in variables.items() if "description" not in b or "type" not in b]
    assert not incomplete, f"{target}: variables without description or type: {incomplete}"


# Free-form values get a validation block; booleans and values with safe defaults that
# any number accepts are the exceptions, and they are listed here by name.
UNCONSTRAINED = {
    "deletion_protection",
    "deny_insecure_transport",
    "force_delete",
    "force_destroy",
    "create_oidc_provider",
    "aws_api_emulator",
    "ecr_force_delete",
}


@pytest.mark.parametrize("target", [f"modules/{m}" for m in MODULES] + ROOTS)
def test_constrained_variables_have_validation(target: str) -> None:
    variables = blocks(all_tf(INFRA / target, "variables.tf"), "variable")
    bare = [
        n
        for n, b in variables.items()
        if "validation {" not in b and n not in UNCONSTRAINED and "type        = bool" not in b
    ]
    assert not bare, f"{target}: variables without a validation block: {bare}"


def test_module_readmes_are_up_to_date() -> None:
    stale = [str(p.relative_to(INFRA)) for p in module_docs.stale()]
    assert not stale, f"stale input/output tables in {stale}: run `make infra-docs`"
