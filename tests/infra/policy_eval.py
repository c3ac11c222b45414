"""IAM decisions by the policies' meaning, with a maintained evaluator: principalmapper's
local policy simulation (NCC Group's PMapper), which evaluates Allow/Deny, NotAction/
NotResource, wildcards, condition operators (String*, Arn*, Bool, IfExists,
ForAnyValue/ForAllValues), resource policies and permissions boundaries the way IAM's
evaluation logic describes. The emulator cannot do this: it ignores conditions and, outside
S3/IAM/STS, resource scoping."""

from __future__ import annotations

import collections
import collections.abc
import json
from functools import cache
from typing import Any

# principalmapper 1.1.5 (its last release) still imports Mapping from `collections`,
# removed in Python 3.10; restore the two aliases before importing it.
collections.Mapping = collections.abc.Mapping  # type: ignore[attr-defined]
collections.MutableMapping = collections.abc.MutableMapping  # type: ignore[attr-defined]

from principalmapper.common import Node, Policy  # noqa: E402
from principalmapper.querying.query_interface import local_check_authorization_full  # noqa: E402

ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"


@cache
def aws_managed_policy(name: str) -> dict[str, Any]:
    """An AWS-managed policy document as the emulator ships it (moto's snapshot of AWS)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return dict(json.loads(aws_managed_policies_data)[name]["Document"])


def principal(
    arn: str, documents: dict[str, dict[str, Any]], boundary: dict[str, Any] | None = None
) -> Node:
    """A role with the given policies (name => document) and optional boundary."""
    policies = [Policy(f"{arn}/{name}", name, doc) for name, doc in documents.items()]
    return Node(
        arn,
        "AROATESTROLEID0000000",
        policies,
        None,
        {"Version": "2012-10-17", "Statement": []},
        None,
        0,
        False,
        False,
        Policy(f"{arn}/boundary", "boundary", boundary) if boundary else None,
        False,
        None,
    )


def allowed(
    node: Node,
    action: str,
    resource: str,
    context: dict[str, str] | None = None,
    *,
    resource_policy: dict[str, Any] | None = None,
    resource_owner: str | None = None,
) -> bool:
    return bool(
        local_check_authorization_full(
            node, action, resource, dict(context or {}), resource_policy, resource_owner
        )
    )


def role_creation_escalation(node: Node, account: str) -> list[str]:
    """Ways the principal can make itself an administrator through a role it creates: it
    may create a role *without* a permissions boundary (so nothing caps it) and give that
    role administrator rights (attach AdministratorAccess or write an inline policy).
    Returns the role ARNs where that works; empty = no such path."""
    candidates = {
        r.replace("*", "escalate")
        for policy in node.attached_policies
        for s in _statements(policy.policy_doc)
        if s.get("Effect") == "Allow"
        for r in _list(s.get("Resource"))
        if r == "*" or ":role/" in r
    }
    found = []
    for resource in sorted(candidates):
        role = resource if ":role/" in resource else f"arn:aws:iam::{account}:role/escalate"
        can_create = allowed(node, "iam:CreateRole", role)  # no iam:PermissionsBoundary
        can_grant = allowed(
            node, "iam:AttachRolePolicy", role, {"iam:PolicyARN": ADMINISTRATOR_ACCESS}
        ) or allowed(node, "iam:PutRolePolicy", role)
        if can_create and can_grant:
            found.append(role)
    return found


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    raw = document["Statement"]
    return [raw] if isinstance(raw, dict) else list(raw)


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def service_allowed(
    service: str,
    action: str,
    resource: str,
    context: dict[str, str],
    *,
    resource_policy: dict[str, Any],
    resource_owner: str,
) -> bool:
    """Whether a resource policy (queue policy, key policy) lets an AWS service principal
    such as s3.amazonaws.com make the call: an explicit allow for the service, no deny."""
    from principalmapper.querying.local_policy_simulation import (
        ResourcePolicyEvalResult,
        resource_policy_authorization,
    )

    result = resource_policy_authorization(
        service, resource_owner, resource_policy, action, resource, dict(context)
    )
    return bool(result == ResourcePolicyEvalResult.SERVICE_MATCH)
