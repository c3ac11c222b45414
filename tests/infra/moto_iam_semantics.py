"""Give the emulator's IAM enforcement the meaning of IAM, for the day-one rehearsal.

moto enforces identity policies when asked (`/moto-api/reset-auth`), but it evaluates a
Condition only against the one request value it knows (sts:ExternalId), so any statement
with a condition denies; it ignores permissions boundaries and NotResource; and outside
S3/IAM/STS/SQS it checks every call against the resource "*". Imported into the moto
server process (through a sitecustomize on its PYTHONPATH), this module replaces that one
decision with principalmapper's policy simulation (tests/infra/policy_eval.py), fed with
what the request says: the resource (role, policy, instance profile, OIDC provider,
secret, bucket/object) and the condition keys IAM documents for those actions
(iam:PermissionsBoundary, iam:PolicyARN, s3:prefix). Everything else (the wire protocol,
the stored policies, trust policies on AssumeRole) stays moto's own. Requests whose
conditions use keys not derived here are decided as IAM decides a missing key (the
condition does not match), and are listed by the rehearsal as such."""

from __future__ import annotations

import json
import os
from typing import Any

from moto.iam import access_control

from tests.infra import policy_eval as pe

ROLE_POLICY_ACTIONS = {
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
}


def _value(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if isinstance(value, list):
        return str(value[0]) if value else None
    return None if value is None else str(value)


def _document(policy: Any) -> dict[str, Any]:
    return dict(access_control.IAMPolicy(policy)._policy_json)


def _backend(request: Any) -> Any:
    return request.backend


def _role(request: Any, name: str | None) -> Any:
    if not name:
        return None
    try:
        return _backend(request).get_role(name)
    except Exception:  # moto raises its own NotFound types
        return None


def resource_of(request: Any, resource: str) -> str:
    """The ARN IAM would authorise against, where moto passes "*"."""
    data, action = request._data, request._action
    account = request.account_id
    iam = f"arn:aws:iam::{account}"
    if action.startswith("iam:"):
        if action in {"iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile"} or (
            "InstanceProfile" in action and _value(data, "InstanceProfileName")
        ):
            path = _value(data, "Path") or "/"
            return f"{iam}:instance-profile{path}{_value(data, 'InstanceProfileName')}"
        name = _value(data, "RoleName")
        if name:
            role = _role(request, name)
            return str(role.arn) if role else f"{iam}:role{_value(data, 'Path') or '/'}{name}"
        if _value(data, "PolicyArn"):
            return str(_value(data, "PolicyArn"))
        if action == "iam:CreatePolicy":
            return f"{iam}:policy{_value(data, 'Path') or '/'}{_value(data, 'PolicyName')}"
        if _value(data, "OpenIDConnectProviderArn"):
            return str(_value(data, "OpenIDConnectProviderArn"))
        if action == "iam:CreateOpenIDConnectProvider":
            url = str(_value(data, "Url")).removeprefix("https://")
            return f"{iam}:oidc-provider/{url}"
    if action.startswith("secretsmanager:") and resource == "*":
        body = _json_body(request)
        secret = body.get("SecretId")
        if isinstance(secret, str) and secret.startswith("arn:"):
            return secret
    return resource


def _json_body(request: Any) -> dict[str, Any]:
    try:
        return dict(json.loads(request._body or b"{}"))
    except (ValueError, TypeError):
        return {}


def context_of(request: Any) -> dict[str, str]:
    data, action = request._data, request._action
    context: dict[str, str] = {}
    if action in {"iam:CreateRole", "iam:PutRolePermissionsBoundary"}:
        boundary = _value(data, "PermissionsBoundary")
        if boundary:
            context["iam:PermissionsBoundary"] = boundary
    if action in ROLE_POLICY_ACTIONS:
        role = _role(request, _value(data, "RoleName"))
        boundary = _boundary_arn(role)
        if boundary:
            context["iam:PermissionsBoundary"] = boundary
    if action in {"iam:AttachRolePolicy", "iam:DetachRolePolicy"} and _value(data, "PolicyArn"):
        context["iam:PolicyARN"] = str(_value(data, "PolicyArn"))
    if action == "s3:ListBucket" and _value(data, "prefix") is not None:
        context["s3:prefix"] = str(_value(data, "prefix"))
    return context


def _boundary_arn(role: Any) -> str | None:
    """moto keeps a role's boundary as the API shape {PermissionsBoundaryArn: ...}."""
    boundary = getattr(role, "permissions_boundary", None) if role else None
    if isinstance(boundary, dict):
        boundary = boundary.get("PermissionsBoundaryArn")
    return str(boundary) if boundary else None


def principal_of(request: Any) -> Any:
    key = request._access_key
    backend = request.backend
    documents = {str(i): _document(p) for i, p in enumerate(key.collect_policies())}
    role_name = getattr(key, "_owner_role_name", None)
    boundary = None
    if role_name:
        role = backend.get_role(role_name)
        arn = str(role.arn)
        if _boundary_arn(role):
            boundary = _document(backend.get_policy(_boundary_arn(role)))
    else:
        arn = str(key.arn)
    return pe.principal(arn, documents, boundary)


# moto names some S3 calls by their API name; IAM authorises them as another action
# (Amazon S3 User Guide, "Actions, resources and condition keys": HeadBucket needs
# s3:ListBucket, HeadObject s3:GetObject).
S3_AUTHORISED_AS = {"s3:HeadBucket": "s3:ListBucket", "s3:HeadObject": "s3:GetObject"}


def check_action_permitted(self: Any, resource: str) -> None:
    if self._action == "sts:GetCallerIdentity":  # always allowed, as in AWS
        return
    if self._action in S3_AUTHORISED_AS:
        self._action = S3_AUTHORISED_AS[self._action]
        if resource == "*" and self._path.strip("/"):
            resource = f"arn:aws:s3:::{self._path.strip('/').split('/', 1)[0]}"
    target = resource_of(self, resource)
    decision = pe.allowed(principal_of(self), self._action, target, context_of(self))
    if decision and self._is_assuming_role_operation(resource):
        decision = self._check_role_trust_relationship(resource)
    if not decision:
        with open(DENIALS, "a") as log:  # noqa: PTH123 - one line per denial, read by the test
            log.write(
                json.dumps(
                    {
                        "action": self._action,
                        "resource": target,
                        "context": context_of(self),
                        "principal": str(self._access_key.arn),
                    }
                )
                + "\n"
            )
        self._raise_access_denied()


def check_signature(self: Any) -> None:
    """Not what is tested here, and moto's recomputation of SigV4 differs from the Go
    SDK's for some requests (Route 53 list calls were refused as "UnknownError" 403): the
    identity is taken from the access key, as moto does, and its policies decide."""


DENIALS = os.environ.get("DEPOT_IAM_DENIALS", "/dev/null")
access_control.IAMRequestBase.check_action_permitted = check_action_permitted  # type: ignore[method-assign]
access_control.IAMRequestBase.check_signature = check_signature  # type: ignore[method-assign]
