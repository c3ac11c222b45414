"""The rules every Argo CD object in this repository follows; each returns its violations.

Kept apart from the tests so the tests can also feed them objects that must be refused.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

REPO_URL = "https://github.com/example-org/depot-platform.git"
FINALIZER = "resources-finalizer.argocd.argoproj.io"
EXACT_VERSION = re.compile(r"^\d+\.\d+\.\d+$")

Obj = dict[str, Any]


def _name(obj: Obj) -> str:
    return f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"


def project_violations(project: Obj) -> list[str]:
    """No wildcard anywhere an AppProject grants something."""
    spec, name = project["spec"], _name(project)
    errors = [f"{name}: sourceRepos {r!r} is a wildcard" for r in spec.get("sourceRepos", [])
              if "*" in r]  # fmt: skip
    if not spec.get("destinations"):
        errors.append(f"{name}: no destinations")
    for dest in spec.get("destinations", []):
        for field in ("server", "name", "namespace"):
            if "*" in str(dest.get(field, "")):
                errors.append(f"{name}: destination {field} {dest[field]!r} is a wildcard")
        if not dest.get("namespace"):
            errors.append(f"{name}: destination {dest} has no namespace")
    for field in ("clusterResourceWhitelist", "namespaceResourceWhitelist"):
        for rule in spec.get(field, []) or []:
            if "*" in rule.get("group", "") or "*" in rule.get("kind", ""):
                errors.append(f"{name}: {field} {rule} grants a wildcard")
    return errors


def namespace_allowed(project: Obj, server: str, namespace: str) -> bool:
    return any(
        d.get("server") == server and d.get("namespace") == namespace
        for d in project["spec"]["destinations"]
    )


def application_violations(app: Obj, projects: dict[str, Obj], root: Path) -> list[str]:
    """Sync policy, project, destination and source rules for one (generated) Application."""
    spec, name = app["spec"], _name(app)
    errors: list[str] = []
    policy = spec.get("syncPolicy", {})
    automated = policy.get("automated") or {}
    if automated.get("prune") is not True or automated.get("selfHeal") is not True:
        errors.append(f"{name}: syncPolicy.automated must set prune and selfHeal to true")
    options = policy.get("syncOptions", [])
    if "ServerSideApply=true" not in options:
        errors.append(f"{name}: syncOptions lacks ServerSideApply=true")
    retry = policy.get("retry", {})
    if not retry.get("limit") or not retry.get("backoff", {}).get("factor"):
        errors.append(f"{name}: syncPolicy.retry needs a limit and a backoff")
    if app["metadata"].get("name") != "root" and FINALIZER not in app["metadata"].get(
        "finalizers", []
    ):
        errors.append(f"{name}: missing the {FINALIZER} finalizer")
    project = projects.get(spec.get("project", ""))
    if project is None:
        return [*errors, f"{name}: project {spec.get('project')!r} is not defined"]
    dest = spec["destination"]
    if not namespace_allowed(project, dest.get("server", ""), dest.get("namespace", "")):
        errors.append(f"{name}: destination {dest} is not allowed by AppProject {spec['project']}")
    if "CreateNamespace=true" in options and spec["project"] == "services":
        errors.append(f"{name}: tenant namespaces come from the platform app, not CreateNamespace")
    sources = spec.get("sources") or [spec["source"]]
    refs = {s["ref"]: s for s in sources if "ref" in s}
    for source in sources:
        errors.extend(_source_violations(name, source, refs, root))
    return errors


def _source_violations(name: str, source: Obj, refs: dict[str, Obj], root: Path) -> list[str]:
    errors: list[str] = []
    repo = source["repoURL"]
    if repo == REPO_URL:
        if source.get("targetRevision") != "main":
            errors.append(f"{name}: {repo} must track main (the reviewed branch)")
        if "path" in source and not (root / source["path"]).is_dir():
            errors.append(f"{name}: path {source['path']} does not exist")
        chart = source.get("path", "").startswith("charts/")
        if chart and not (root / source["path"] / "Chart.yaml").is_file():
            errors.append(f"{name}: {source['path']} is not a chart (no Chart.yaml)")
    elif not EXACT_VERSION.match(str(source.get("targetRevision", ""))):
        errors.append(
            f"{name}: chart {source.get('chart')} version {source.get('targetRevision')!r} "
            "must be pinned to an exact X.Y.Z"
        )
    helm = source.get("helm", {})
    for index, values in enumerate(helm.get("valueFiles", [])):
        ref, _, relative = values.partition("/")
        if not ref.startswith("$") or ref[1:] not in refs:
            errors.append(f"{name}: valueFiles {values!r} does not use a ref source")
            continue
        optional = helm.get("ignoreMissingValueFiles") and index > 0
        if not optional and not (root / relative).is_file():
            errors.append(f"{name}: values file {relative} does not exist")
    return errors


def appset_violations(appset: Obj) -> list[str]:
    name, spec = _name(appset), appset["spec"]
    errors = []
    if spec.get("syncPolicy", {}).get("preserveResourcesOnDeletion") is not True:
        errors.append(f"{name}: syncPolicy.preserveResourcesOnDeletion must be true")
    if "missingkey=error" not in spec.get("goTemplateOptions", []):
        errors.append(f"{name}: goTemplateOptions must include missingkey=error")
    return errors
