"""The environment roots differ only in their variables: the same code, one state key
each, and every difference in terraform.tfvars (listed side by side in docs/infra.md)."""

from __future__ import annotations

import re

import pytest

from tests.infra import module_docs
from tests.infra.workspace import INFRA

ENVIRONMENTS = ("dev", "staging", "prod")
SHARED_CODE = ("main.tf", "variables.tf", "outputs.tf", "versions.tf")


@pytest.mark.parametrize("name", SHARED_CODE)
def test_environment_roots_share_their_code(name: str) -> None:
    texts = {env: (INFRA / "live" / env / name).read_text() for env in ENVIRONMENTS}
    assert len(set(texts.values())) == 1, (
        f"live/*/{name} differ; copy live/dev/{name} to the others"
    )


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
