"""The per-service contract file (e.g. services/depot/conformance.yaml): what the service
needs to start. Validated against contract.schema.json before anything runs, so a typo
is a message naming the field, not a run that fails for another reason."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).with_name("contract.schema.json")
# The region resources are created in when the contract names none.
DEFAULT_REGION = "eu-west-1"


class ContractError(ValueError):
    """The contract file is unusable; the message names the file, the field and the fix."""


@dataclass(frozen=True)
class AwsCall:
    service: str
    operation: str
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Contract:
    path: Path
    service: str
    port: int
    values: tuple[Path, ...]
    env: dict[str, str]
    region: str
    resources: tuple[AwsCall, ...]
    missing: tuple[str, ...]
    invalid: dict[str, str]
    # server: the HTTP SLO series are required; worker: no ingress, only the runtime's.
    workload: str = "server"


def load_contract(path: Path) -> Contract:
    if not path.is_file():
        raise ContractError(
            f"{path}: no such contract file (docs/conformance.md#the-contract-file)"
        )
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise ContractError(f"{path}: not YAML: {error}") from None
    schema = json.loads(SCHEMA_PATH.read_text())
    problems = sorted(
        jsonschema.Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.path)
    )
    if problems:
        lines = [f"  {'.'.join(map(str, e.path)) or '(top)'}: {e.message}" for e in problems]
        raise ContractError(
            f"{path} does not match {SCHEMA_PATH.name} (docs/conformance.md#the-contract-file):\n"
            + "\n".join(lines)
        )
    aws = data.get("aws", {})
    configuration = data["configuration"]
    contract = Contract(
        path=path,
        service=data["service"],
        port=data["port"],
        values=tuple((path.parent / name).resolve() for name in data.get("values", [])),
        env=dict(data.get("env", {})),
        region=aws.get("region", DEFAULT_REGION),
        resources=tuple(AwsCall(**call) for call in aws.get("resources", [])),
        missing=tuple(configuration["missing"]),
        invalid=dict(configuration.get("invalid", {})),
        workload=data.get("workload", "server"),
    )
    _check_references(contract)
    return contract


def _check_references(contract: Contract) -> None:
    for values in contract.values:
        if not values.is_file():
            raise ContractError(f"{contract.path}: values file {values} does not exist")
    unknown = [name for name in contract.missing if name not in contract.env]
    if unknown:
        raise ContractError(
            f"{contract.path}: configuration.missing names {unknown}, which env does not set: "
            "only a variable the service is given can be left out"
        )
