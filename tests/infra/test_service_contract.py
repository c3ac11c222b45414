"""Terraform creates what the service expects: the table schema the service provisions
locally (services/depot/src/depot/devstack.py) is the one the applied root created, and
the object prefix the role allows is the service's default DEPOT_S3_PREFIX."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from tests.infra import iam
from tests.infra.lifecycle import RootRun
from tests.support.tools import ROOT

# The first test waits for the roots' lifecycles (minutes), which run in the background.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

SERVICE_SRC = ROOT / "services" / "depot" / "src" / "depot"


def module_constant(path: Path, name: str) -> Any:
    """A literal top-level constant of a service module, read without importing the
    service (it has its own environment)."""
    for node in ast.parse(path.read_text()).body:
        targets = [node.target] if isinstance(node, ast.AnnAssign) else getattr(node, "targets", [])
        if (
            any(isinstance(t, ast.Name) and t.id == name for t in targets)
            and node.value is not None
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{path.relative_to(ROOT)} defines no literal {name}")


@pytest.fixture(scope="module")
def table(dev_run: RootRun) -> dict[str, Any]:
    return dict(dev_run.require().snapshot["table"])


def test_table_schema_is_the_one_the_service_provisions(table: dict[str, Any]) -> None:
    schema = module_constant(SERVICE_SRC / "devstack.py", "TABLE_SCHEMA")
    assert table["KeySchema"] == schema["KeySchema"]
    assert sorted(table["AttributeDefinitions"], key=str) == sorted(
        schema["AttributeDefinitions"], key=str
    )
    created = [
        {k: gsi[k] for k in ("IndexName", "KeySchema")}
        | {"Projection": {"ProjectionType": gsi["Projection"]["ProjectionType"]}}
        for gsi in table["GlobalSecondaryIndexes"]
    ]
    assert created == schema["GlobalSecondaryIndexes"]
    assert table["BillingModeSummary"]["BillingMode"] == schema["BillingMode"]


def test_ttl_attribute_is_the_services(dev_run: RootRun) -> None:
    assert dev_run.require().snapshot["ttl"]["AttributeName"] == module_constant(
        SERVICE_SRC / "devstack.py", "TTL_ATTRIBUTE"
    )


def test_role_object_prefix_is_the_services_default_prefix(dev_run: RootRun) -> None:
    config = (SERVICE_SRC / "config.py").read_text()
    match = re.search(r'^\s*s3_prefix: str = Field\("([^"]+)"', config, re.M)
    assert match, 'depot.config no longer declares s3_prefix = Field("<default>", ...)'
    (document,) = dev_run.require().snapshot["roles"]["depot-dev"]["inline"].values()
    (objects,) = iam.resources_of(document, "s3:PutObject")
    assert objects.endswith(f"/{match.group(1)}/*"), objects
