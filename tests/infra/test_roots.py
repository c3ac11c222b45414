"""One environment root, three environments: infra/live/{dev,staging,prod} hold only their
backend.tf and terraform.tfvars and link to the code of infra/live/environment, so the
environments cannot differ in code; every difference is a variable (listed side by side in
docs/infra.md) or the state key."""

from __future__ import annotations

import re

import pytest

from tests.infra import module_docs
from tests.infra.workspace import INFRA
from tests.support.tools import ROOT
from tools.service_template import listed_services

ENVIRONMENTS = ("dev", "staging", "prod")
SHARED_CODE = ("main.tf", "variables.tf", "outputs.tf", "versions.tf")
OWN_FILES = {"backend.tf", "terraform.tfvars"}
# The state key, written by the bootstrap (output state_kms_key_arn): a key ARN in the
# shared account, never an alias (S3 would resolve an alias in the caller's account).
STATE_KEY = re.compile(
    r'^\s*kms_key_id\s*=\s*"arn:aws:kms:eu-west-1:444444444444:key/[0-9a-f-]{36}"', re.M
)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_roots_hold_only_links_backend_and_variables(env: str) -> None:
    folder = INFRA / "live" / env
    files = {p.name for p in folder.iterdir() if not p.name.startswith(".")}
    assert files == OWN_FILES | set(SHARED_CODE), sorted(files)
    for name in SHARED_CODE:
        path = folder / name
        assert path.is_symlink(), f"live/{env}/{name} must link to ../environment/{name}"
        assert path.resolve() == (INFRA / "live" / "environment" / name).resolve()


def test_the_shared_code_is_not_copied_anywhere() -> None:
    code = (INFRA / "live" / "environment" / "main.tf").read_text()
    copies = [
        str(p.relative_to(INFRA))
        for p in INFRA.glob("live/**/main.tf")
        if not p.is_symlink() and p.parent.name != "environment" and p.read_text() == code
    ]
    assert not copies, copies


BACKENDS = ["dev", "staging", "prod", "shared"]


@pytest.mark.parametrize("root", BACKENDS)
def test_backend_encrypts_state_with_the_state_key(root: str) -> None:
    text = (INFRA / "live" / root / "backend.tf").read_text()
    assert re.search(r"^\s*encrypt\s*=\s*true", text, re.M), f"live/{root}: encrypt = true"
    assert STATE_KEY.search(text), f"live/{root}/backend.tf: kms_key_id = the state key's ARN"
    assert "use_lockfile = true" in text


def test_backends_differ_only_in_the_state_key() -> None:
    for env in ENVIRONMENTS:
        text = (INFRA / "live" / env / "backend.tf").read_text()
        assert f'key          = "live/{env}/terraform.tfstate"' in text
        assert text.replace(f"live/{env}/", "live/ENV/") == (
            INFRA / "live" / "dev" / "backend.tf"
        ).read_text().replace("live/dev/", "live/ENV/")


def assigned(env: str) -> set[str]:
    text = (INFRA / "live" / env / "terraform.tfvars").read_text()
    return set(re.findall(r"^([a-z_]+)\s*=", text, re.M))


def test_every_environment_sets_the_same_variables() -> None:
    names = {env: assigned(env) for env in ENVIRONMENTS}
    assert names["dev"] == names["staging"] == names["prod"], names


def test_docs_list_the_environments_side_by_side() -> None:
    assert not module_docs.stale_environment_table(), "run `make infra-docs`"


def test_every_service_image_has_a_registry_repository() -> None:
    """The release pushes one image per folder under services/ (its matrix is checked
    against the folders) to the shared account's ECR repository of that name: a service
    missing from the shared root's `services` has nowhere to push, and its first release
    fails after the build and scan."""
    shared = listed_services((INFRA / "live" / "shared" / "terraform.tfvars").read_text())
    images = {p.parent.name for p in (ROOT / "services").glob("*/pyproject.toml")}
    assert sorted(shared) == sorted(images), (
        f"infra/live/shared/terraform.tfvars `services` = {shared}; service images: "
        f"{sorted(images)}: add each service's name there (its ECR repository)"
    )
