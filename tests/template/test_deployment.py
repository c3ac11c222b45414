"""The generated service's deployment: its chart renders for every environment x profile
within the whole platform's rules, and the ApplicationSets generate its Applications
into its own namespace, permitted by their project (the delivery tests' functions, run
on the copy)."""

from __future__ import annotations

import pytest

from tests.delivery import platform as p
from tests.delivery.appsets import clusters_for, expand, load_documents
from tests.delivery.test_platform import COMBOS
from tests.support.tools import require_tool
from tests.template.conftest import Generated


@pytest.mark.parametrize(("env", "profile"), COMBOS, ids=[f"{e}-{pr}" for e, pr in COMBOS])
def test_the_whole_platform_with_the_new_service_keeps_every_rule(
    generated: Generated, env: str, profile: str
) -> None:
    built = p.build(generated.root, env, profile, require_tool("helm", "scripts/setup/helm.sh"))
    app = built.apps[f"{generated.name}-{env}"]
    kinds = {o["kind"] for o in app.objects}
    assert {"Service", "Ingress", "ServiceMonitor", "PrometheusRule"} <= kinds, kinds
    assert {o["metadata"].get("namespace", generated.name) for o in app.objects} == {generated.name}
    assert {rule: check(built) for rule, check in p.RULES.items()} == {r: [] for r in p.RULES}


def test_the_applicationsets_generate_its_applications(generated: Generated) -> None:
    root, name = generated.root, generated.name
    docs = load_documents(root / "gitops/argocd")
    projects = {d["metadata"]["name"]: d for d in docs if d["kind"] == "AppProject"}
    (appset,) = [
        d for d in docs if d["kind"] == "ApplicationSet" and d["metadata"]["name"] == "services"
    ]
    environments = sorted(x.name for x in (root / "gitops/environments").iterdir() if x.is_dir())
    apps = {a["metadata"]["name"]: a for a in expand(root, appset, clusters_for(environments))}
    for env in environments:
        app = apps[f"{name}-{env}"]
        destination = app["spec"]["destination"]
        assert destination["namespace"] == name
        project = projects[app["spec"]["project"]]
        assert p.destination_permitted(project, destination["server"], name)
        values = app["spec"]["sources"][0]["helm"]["valueFiles"]
        assert values[0] == f"$values/gitops/services/{name}.yaml"
        assert values[-1] == f"$values/gitops/environments/{env}/{name}.yaml"
