"""A ValidatingAdmissionPolicy evaluator for tests, on cel-python (core CEL).

It does what the API server does for a CREATE of one object: picks the policies whose
matchConstraints cover the object's resource, keeps those with a binding whose
namespaceSelector matches the namespace's labels, evaluates the policy's variables in
order (lazily available as `variables.<name>`), then each validation. A validation that
is false, or that errors (failurePolicy: Fail), denies, with its message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import celpy
import yaml
from celpy import celtypes

Manifest = dict[str, Any]

# kind -> (API group, resource) for the kinds the platform's policies can match.
RESOURCES = {
    "Pod": ("", "pods"),
    "Deployment": ("apps", "deployments"),
    "ReplicaSet": ("apps", "replicasets"),
    "StatefulSet": ("apps", "statefulsets"),
    "DaemonSet": ("apps", "daemonsets"),
    "Job": ("batch", "jobs"),
    "CronJob": ("batch", "cronjobs"),
    "Rollout": ("argoproj.io", "rollouts"),
}

_ENV = celpy.Environment()


@dataclass(frozen=True)
class Denial:
    policy: str
    message: str


@dataclass
class Policy:
    name: str
    spec: dict[str, Any]
    bindings: list[dict[str, Any]] = field(default_factory=list)

    def matches_resource(self, manifest: Manifest, operation: str = "CREATE") -> bool:
        group, resource = RESOURCES.get(manifest["kind"], (None, None))
        if resource is None:
            return False
        api_version = manifest["apiVersion"].rpartition("/")[2]
        for rule in self.spec["matchConstraints"].get("resourceRules", []):
            if (
                _listed(group, rule.get("apiGroups", []))
                and _listed(api_version, rule.get("apiVersions", []))
                and _listed(resource, rule.get("resources", []))
                and _listed(operation, rule.get("operations", []))
            ):
                return True
        return False

    def bound_in(self, namespace_labels: dict[str, str]) -> bool:
        for binding in self.bindings:
            selector = binding["spec"].get("matchResources", {}).get("namespaceSelector", {})
            if "Deny" in binding["spec"]["validationActions"] and selector_matches(
                selector, namespace_labels
            ):
                return True
        return False

    def evaluate(self, manifest: Manifest) -> list[str]:
        """Messages of the failed validations (empty = admitted)."""
        activation: dict[str, Any] = {"object": celpy.json_to_cel(manifest)}
        variables: dict[celtypes.StringType, Any] = {}
        errors: list[str] = []
        for variable in self.spec.get("variables", []):
            activation["variables"] = celtypes.MapType(variables)
            try:
                variables[celtypes.StringType(variable["name"])] = _eval(
                    variable["expression"], activation
                )
            except celpy.CELEvalError:
                # Like the API server: a variable is evaluated when used; an error surfaces
                # in the validation that reads it.
                continue
        activation["variables"] = celtypes.MapType(variables)
        for validation in self.spec["validations"]:
            try:
                admitted = _eval(validation["expression"], activation)
            except celpy.CELEvalError as error:
                errors.append(f"expression error (failurePolicy Fail): {error.args[0]}")
                continue
            if admitted is not celtypes.BoolType(True) and admitted != celtypes.BoolType(True):
                errors.append(_message(validation, activation))
        return errors


def _listed(value: str | None, allowed: list[str]) -> bool:
    return "*" in allowed or value in allowed


@cache
def _program(expression: str) -> Any:
    return _ENV.program(_ENV.compile(expression))


def _eval(expression: str, activation: dict[str, Any]) -> Any:
    return _program(expression).evaluate(activation)


def _message(validation: dict[str, Any], activation: dict[str, Any]) -> str:
    if "messageExpression" in validation:
        try:
            return str(_eval(validation["messageExpression"], activation))
        except celpy.CELEvalError as error:
            return f"messageExpression failed: {error.args[0]}"
    return str(validation.get("message", f"failed: {validation['expression']}"))


def selector_matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A Kubernetes label selector; an empty selector matches everything."""
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values", [])
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def load_policies(folder: Path) -> dict[str, Policy]:
    docs = [
        d
        for path in sorted(folder.glob("*.yaml"))
        for d in yaml.safe_load_all(path.read_text())
        if d
    ]
    policies = {
        d["metadata"]["name"]: Policy(d["metadata"]["name"], d["spec"])
        for d in docs
        if d["kind"] == "ValidatingAdmissionPolicy"
    }
    for d in docs:
        if d["kind"] == "ValidatingAdmissionPolicyBinding":
            name = d["spec"]["policyName"]
            if name not in policies:
                raise ValueError(f"binding {d['metadata']['name']} names unknown policy {name}")
            policies[name].bindings.append(d)
    return policies


def admit(
    policies: dict[str, Policy], manifest: Manifest, namespace_labels: dict[str, str]
) -> list[Denial]:
    """Every denial the API server would return for creating `manifest`."""
    denials: list[Denial] = []
    for policy in policies.values():
        if policy.matches_resource(manifest) and policy.bound_in(namespace_labels):
            denials += [Denial(policy.name, m) for m in policy.evaluate(manifest)]
    return denials
