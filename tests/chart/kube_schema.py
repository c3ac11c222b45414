"""Kubernetes OpenAPI schemas (from kubernetes-validate's bundled copies), strict mode.

kubernetes-validate's own `validate()` re-reads the 1.5 MB definitions file on every
call; this keeps one compiled validator per (version, kind) for the session.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from referencing import Registry, Resource

SUPPORTED_VERSIONS = ("1.30", "1.31", "1.32", "1.33", "1.34")


def _schema_dir(version: str) -> Any:
    return resources.files("kubernetes_validate").joinpath(
        "kubernetes-json-schema", f"v{version}.0-local-strict"
    )


@cache
def _definitions(version: str) -> Resource[Any]:
    text = _schema_dir(version).joinpath("_definitions.json").read_text()
    return Resource.from_contents(json.loads(text))


@cache
def validator(version: str, api_version: str, kind: str) -> jsonschema.Draft202012Validator:
    # rbac.authorization.k8s.io/v1 -> rbac-v1; v1 -> v1 (the bundled files' naming)
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    path = _schema_dir(version).joinpath(f"{kind.lower()}-{group_version}.json")
    if not path.is_file():
        raise LookupError(f"no Kubernetes {version} schema for {api_version} {kind}")
    schema = json.loads(path.read_text())
    registry: Registry[Any] = Resource.from_contents(schema) @ Registry()
    registry = _definitions(version) @ registry
    return jsonschema.Draft202012Validator(schema, registry=registry)


def is_builtin(api_version: str) -> bool:
    group = api_version.rpartition("/")[0]
    return group == "" or "." not in group or group.endswith(".k8s.io")


def errors(manifest: dict[str, Any], version: str) -> list[str]:
    """Schema violations of one built-in object (unknown fields included)."""
    check = validator(version, manifest["apiVersion"], manifest["kind"])
    return [
        f"{'.'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
        for e in check.iter_errors(manifest)
    ]
