"""Compute what Argo CD would generate from the ApplicationSets, from the files present.

A small evaluator for the generators (clusters, list, git files, matrix) and the Go
template subset the ApplicationSets use. Anything outside that subset raises, so a new
construct in an ApplicationSet fails the tests loudly instead of expanding to nothing.
"""

from __future__ import annotations

import copy
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

Params = dict[str, Any]
IN_CLUSTER = "https://kubernetes.default.svc"
ENV_LABEL = "depot.example.org/environment"


class TemplateError(ValueError):
    pass


def load_documents(folder: Path) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(folder.rglob("*.yaml")):
        docs.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return docs


def clusters_for(environments: list[str]) -> list[Params]:
    """One cluster per environment folder, as bootstrap.sh labels each cluster's Argo CD."""
    return [
        {"name": "in-cluster", "server": IN_CLUSTER, "metadata": {"labels": {ENV_LABEL: env}}}
        for env in environments
    ]


# ---- Go template subset -------------------------------------------------------------

_ACTION = re.compile(r"{{-?\s*(.*?)\s*-?}}")


def _lookup(params: Params, dotted: str) -> Any:
    value: Any = params
    for part in dotted.strip(".").split("."):
        if not isinstance(value, dict) or part not in value:
            # The ApplicationSets set missingkey=error: a missing key stops generation.
            raise TemplateError(f"missing key {dotted}")
        value = value[part]
    return value


def _argument(params: Params, token: str) -> Any:
    if token.startswith('"'):
        return token[1:-1]
    if token.startswith("."):
        return _lookup(params, token)
    raise TemplateError(f"unsupported template argument {token!r}")


def _evaluate(params: Params, action: str) -> Any:
    words = shlex.split(action, posix=False)
    if len(words) == 1:
        return _argument(params, words[0])
    function, args = words[0], [_argument(params, w) for w in words[1:]]
    if function == "index" and len(args) == 2:
        if args[1] not in args[0]:
            raise TemplateError(f"missing key {args[1]!r}")
        return args[0][args[1]]
    if function == "trimSuffix" and len(args) == 2:
        return str(args[1]).removesuffix(str(args[0]))
    raise TemplateError(f"unsupported template function in {{{{{action}}}}}")


def render_string(text: str, params: Params) -> str:
    return _ACTION.sub(lambda m: str(_evaluate(params, m.group(1))), text)


def render(value: Any, params: Params) -> Any:
    if isinstance(value, str):
        return render_string(value, params)
    if isinstance(value, list):
        return [render(item, params) for item in value]
    if isinstance(value, dict):
        return {render(k, params): render(v, params) for k, v in value.items()}
    return value


# ---- generators ---------------------------------------------------------------------


def _git_files(root: Path, spec: Params) -> Iterator[Params]:
    for entry in spec["files"]:
        for path in sorted(root.glob(entry["path"])):
            content = yaml.safe_load(path.read_text()) or {}
            relative = path.relative_to(root)
            parent = relative.parent
            yield {
                **content,
                "path": {
                    "path": str(parent),
                    "basename": parent.name,
                    "filename": path.name,
                    "basenameNormalized": parent.name.replace("_", "-").lower(),
                    "filenameNormalized": path.name.replace("_", "-").lower(),
                    "segments": list(parent.parts),
                },
            }


def _matches(cluster: Params, selector: Params) -> bool:
    labels = cluster["metadata"]["labels"]
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        key, operator = expression["key"], expression["operator"]
        if operator == "Exists" and key not in labels:
            return False
        if operator == "In" and labels.get(key) not in expression["values"]:
            return False
        if operator not in {"Exists", "In"}:
            raise TemplateError(f"unsupported selector operator {operator}")
    return True


def generate(root: Path, generator: Params, clusters: list[Params]) -> list[Params]:
    if "list" in generator:
        return [dict(e) for e in generator["list"]["elements"]]
    if "clusters" in generator:
        selector = generator["clusters"].get("selector", {})
        return [copy.deepcopy(c) for c in clusters if _matches(c, selector)]
    if "git" in generator:
        return list(_git_files(root, generator["git"]))
    if "matrix" in generator:
        first, second = generator["matrix"]["generators"]
        combined = []
        for left in generate(root, first, clusters):
            # The second generator may use the first one's parameters.
            for right in generate(root, render(second, left), clusters):
                combined.append({**left, **right})
        return combined
    raise TemplateError(f"unsupported generator {sorted(generator)}")


def expand(root: Path, appset: Params, clusters: list[Params]) -> list[Params]:
    """The Application objects an ApplicationSet generates."""
    spec = appset["spec"]
    if not spec.get("goTemplate"):
        raise TemplateError(f"{appset['metadata']['name']}: only goTemplate is modelled")
    apps = []
    for generator in spec["generators"]:
        for params in generate(root, generator, clusters):
            app = render(copy.deepcopy(spec["template"]), params)
            apps.append({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", **app})
    return apps
