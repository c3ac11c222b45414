"""Argo CD objects: schemas, projects, and every Application the ApplicationSets generate."""

from __future__ import annotations

import copy
import re
import subprocess
from typing import Any

import pytest
import yaml

from tests.delivery import argocd_rules as rules
from tests.delivery.appsets import clusters_for, expand, load_documents
from tests.support.tools import ROOT, prerequisite_missing, require_tool

ARGOCD = ROOT / "gitops" / "argocd"
VALIDATOR = ROOT / "tests" / "validators" / "validate.mjs"


def environments() -> list[str]:
    folder = ROOT / "gitops" / "environments"
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def services() -> list[str]:
    return sorted(p.stem for p in (ROOT / "gitops" / "services").glob("*.yaml"))


@pytest.fixture(scope="module")
def docs() -> list[dict[str, Any]]:
    return load_documents(ARGOCD)


@pytest.fixture(scope="module")
def projects(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == "AppProject"}


def appset(docs: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(d for d in docs if d["kind"] == "ApplicationSet" and d["metadata"]["name"] == name)


def generated(docs: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return expand(ROOT, appset(docs, name), clusters_for(environments()))


def require_validator() -> str:
    node = require_tool("node", "scripts/setup/node-validators.sh")
    if not (VALIDATOR.parent / "node_modules").is_dir():
        prerequisite_missing(
            "tests/validators/node_modules missing; run scripts/setup/node-validators.sh"
        )
    return node


def validate_with_schemas(
    node: str, documents: list[dict[str, Any]]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [node, str(VALIDATOR)],
        input=yaml.safe_dump_all(documents),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_argocd_object_and_generated_application_matches_the_crd_schemas(
    docs: list[dict[str, Any]],
) -> None:
    node = require_validator()
    objects = docs + generated(docs, "platform-addons") + generated(docs, "services")
    result = validate_with_schemas(node, objects)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_validator_rejects_a_broken_application(docs: list[dict[str, Any]]) -> None:
    node = require_validator()
    broken = copy.deepcopy(next(d for d in docs if d["metadata"]["name"] == "platform"))
    broken["spec"]["syncPolicy"]["retry"]["limit"] = "ten"
    result = validate_with_schemas(node, [broken])
    assert result.returncode == 1, result.stdout


def test_projects_grant_no_wildcards(projects: dict[str, dict[str, Any]]) -> None:
    assert set(projects) == {"bootstrap", "platform", "services"}
    for project in projects.values():
        assert rules.project_violations(project) == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("sourceRepos",), ["*"]),
        (("destinations",), [{"server": "*", "namespace": "depot"}]),
        (("destinations",), [{"server": rules.REPO_URL, "namespace": "*"}]),
        (("clusterResourceWhitelist",), [{"group": "*", "kind": "*"}]),
    ],
)
def test_a_wildcard_project_is_refused(
    projects: dict[str, dict[str, Any]], path: tuple[str, ...], value: Any
) -> None:
    project = copy.deepcopy(projects["services"])
    project["spec"][path[0]] = value
    assert rules.project_violations(project) != []


def test_tenants_get_no_cluster_scoped_kinds(projects: dict[str, dict[str, Any]]) -> None:
    assert projects["services"]["spec"]["clusterResourceWhitelist"] == []


def test_applicationsets_preserve_resources_and_fail_on_missing_keys(
    docs: list[dict[str, Any]],
) -> None:
    appsets = [d for d in docs if d["kind"] == "ApplicationSet"]
    assert {a["metadata"]["name"] for a in appsets} == {"platform-addons", "services"}
    for item in appsets:
        assert rules.appset_violations(item) == []
    unsafe = copy.deepcopy(appsets[0])
    unsafe["spec"]["syncPolicy"]["preserveResourcesOnDeletion"] = False
    assert rules.appset_violations(unsafe) != []


def test_one_application_per_service_and_environment(docs: list[dict[str, Any]]) -> None:
    apps = generated(docs, "services")
    expected = {
        f"{path.stem}-{env}"
        for env in environments()
        for path in (ROOT / "gitops" / "environments" / env).glob("*.yaml")
    }
    assert expected, "no gitops/environments/<env>/<service>.yaml files: nothing would deploy"
    assert sorted(a["metadata"]["name"] for a in apps) == sorted(expected)
    for app in apps:
        service = app["metadata"]["labels"]["depot.example.org/service"]
        assert service in services(), (
            f"{app['metadata']['name']}: no gitops/services/{service}.yaml"
        )


def test_every_generated_and_static_application_follows_the_rules(
    docs: list[dict[str, Any]], projects: dict[str, dict[str, Any]]
) -> None:
    static = [d for d in docs if d["kind"] == "Application"]
    apps = static + generated(docs, "platform-addons") + generated(docs, "services")
    errors = [e for app in apps for e in rules.application_violations(app, projects, ROOT)]
    assert errors == []


def test_services_use_shared_profile_environment_values_in_that_order(
    docs: list[dict[str, Any]],
) -> None:
    for app in generated(docs, "services"):
        service = app["metadata"]["labels"]["depot.example.org/service"]
        env = app["metadata"]["labels"]["depot.example.org/environment"]
        env_file = ROOT / "gitops" / "environments" / env / f"{service}.yaml"
        profile = yaml.safe_load(env_file.read_text())["profile"]
        chart_source = app["spec"]["sources"][0]
        assert chart_source["path"] == "charts/service"
        assert chart_source["helm"]["valueFiles"] == [
            f"$values/gitops/services/{service}.yaml",
            f"$values/gitops/profiles/{profile}.yaml",
            f"$values/gitops/environments/{env}/{service}.yaml",
        ]
        assert app["spec"]["destination"]["namespace"] == service


def test_drift_of_a_fixed_replica_count_is_reverted() -> None:
    """Self-heal reverts a manual `kubectl scale` only where no Application ignores the
    replica count; where an autoscaler owns it, Git leaves it out (ADR 0046). The full
    proof, per rendered Application and profile, is test_replica_ownership.py."""
    # Imported here: test_replica_ownership renders through test_gitops_renders, which
    # imports this module.
    from tests.delivery.test_gitops_renders import APPS
    from tests.delivery.test_replica_ownership import render, replica_ownership_problems

    problems = [p for app in APPS for p in replica_ownership_problems(app, render(app))]
    assert problems == []


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda a: a["spec"]["syncPolicy"]["automated"].pop("selfHeal"), "prune and selfHeal"),
        (lambda a: a["spec"]["destination"].update(namespace="kube-system"), "not allowed"),
        (lambda a: a["spec"]["sources"][0].update(path="charts/missing"), "does not exist"),
        (lambda a: a["spec"]["sources"][0]["helm"]["valueFiles"].append("$values/x.yaml"),
         "x.yaml does not exist"),
        (lambda a: a["spec"]["syncPolicy"]["syncOptions"].append("CreateNamespace=true"),
         "CreateNamespace"),
        (lambda a: a["metadata"].pop("finalizers"), "finalizer"),
    ],
)  # fmt: skip
def test_a_generated_application_breaking_a_rule_is_refused(
    docs: list[dict[str, Any]], projects: dict[str, dict[str, Any]], mutate: Any, message: str
) -> None:
    apps = generated(docs, "services")
    assert apps, "no service Application generated"
    app = copy.deepcopy(apps[0])
    mutate(app)
    errors = rules.application_violations(app, projects, ROOT)
    assert any(message in e for e in errors), errors


def test_an_addon_with_a_floating_chart_version_is_refused(
    docs: list[dict[str, Any]], projects: dict[str, dict[str, Any]]
) -> None:
    app = copy.deepcopy(generated(docs, "platform-addons")[0])
    app["spec"]["sources"][0]["targetRevision"] = "8.*"
    assert any("exact X.Y.Z" in e for e in rules.application_violations(app, projects, ROOT))


def test_addon_values_files_match_addons_and_environments(docs: list[dict[str, Any]]) -> None:
    elements = appset(docs, "platform-addons")["spec"]["generators"][0]["matrix"]["generators"][1]
    addons = {e["addon"] for e in elements["list"]["elements"]}
    folder = ROOT / "gitops" / "platform" / "addons"
    assert {p.stem for p in (folder / "values").glob("*.yaml")} == addons
    for env_dir in (folder / "environments").iterdir():
        assert env_dir.name in environments(), f"{env_dir}: no such environment"
        for path in env_dir.glob("*.yaml"):
            assert path.stem in addons, f"{path}: no add-on named {path.stem}"


def test_prometheus_keeps_the_whole_slo_window() -> None:
    values = yaml.safe_load(
        (ROOT / "gitops/platform/addons/values/kube-prometheus-stack.yaml").read_text()
    )
    retention = values["prometheus"]["prometheusSpec"]["retention"]
    assert retention.endswith("d") and int(retention[:-1]) >= 30


def test_the_root_application_brings_in_every_argocd_file(docs: list[dict[str, Any]]) -> None:
    root = next(d for d in docs if d["metadata"]["name"] == "root")
    assert root["spec"]["source"]["path"] == "gitops/argocd"
    assert root["spec"]["source"]["directory"]["recurse"] is True
    waves = {
        (d["kind"], d["metadata"]["name"]): int(
            d["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-wave", "0")
        )
        for d in docs
    }
    platform = waves[("Application", "platform")]
    assert platform < waves[("ApplicationSet", "platform-addons")]
    assert waves[("ApplicationSet", "platform-addons")] < waves[("ApplicationSet", "services")]
    assert max(w for (kind, _), w in waves.items() if kind == "AppProject") < platform


def observability_objects() -> dict[tuple[str, str, str], dict[str, Any]]:
    docs = load_documents(ROOT / "gitops" / "platform" / "observability")
    return {(d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"]): d for d in docs}


def addon_values(name: str) -> dict[str, Any]:
    path = ROOT / "gitops" / "platform" / "addons" / "values" / f"{name}.yaml"
    return yaml.safe_load(path.read_text())


def test_addons_consume_what_the_observability_layer_ships() -> None:
    shipped = observability_objects()
    alloy = addon_values("alloy")["alloy"]["configMap"]
    config_map = shipped.get(("ConfigMap", "logging", alloy["name"]))
    assert config_map is not None, f"no ConfigMap logging/{alloy['name']} to run Alloy with"
    assert alloy["key"] in config_map["data"]
    spec = addon_values("kube-prometheus-stack")["alertmanager"]["alertmanagerSpec"]
    secret = shipped.get(("Secret", "monitoring", spec["configSecret"]))
    assert secret is not None, f"no Secret monitoring/{spec['configSecret']} for Alertmanager"
    assert "alertmanager.yaml" in secret["stringData"]
    mounted = secret["stringData"]["alertmanager.yaml"]
    for name in set(re.findall(r"/etc/alertmanager/secrets/([\w-]+)/", mounted)):
        assert name in spec["secrets"], f"Alertmanager config reads Secret {name}, not mounted"


def test_objects_embedded_in_addon_values_match_their_schemas() -> None:
    node = require_validator()
    embedded = [
        obj
        for path in sorted((ROOT / "gitops/platform/addons/values").glob("*.yaml"))
        for key in ("extraObjects", "extraManifests")
        for obj in (yaml.safe_load(path.read_text()) or {}).get(key, [])
    ]
    assert {o["kind"] for o in embedded} >= {"ExternalSecret", "ClusterSecretStore"}
    result = validate_with_schemas(node, embedded)
    assert result.returncode == 0, result.stdout + result.stderr
