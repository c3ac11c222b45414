"""Opt-in features that depot does not use but other services may: each renders, passes
the schemas, and wires into the pod."""

from __future__ import annotations

import json

from tests.chart import kube_schema
from tests.chart.rendering import helm_template, one, own_combo, workload
from tests.chart.test_schemas import _validate_crs

EXTERNAL_SECRET = {
    "enabled": True,
    "data": [{"secretKey": "DATABASE_URL", "remoteRef": {"key": "app/dev/db", "property": "url"}}],
}


def _render(helm: str, *extra: str) -> list[dict]:  # type: ignore[type-arg]
    return helm_template(helm, [*own_combo("dev").helm_args(), *extra])


def test_external_secret_as_env(helm: str) -> None:
    manifests = _render(helm, "--set-json", f"externalSecret={json.dumps(EXTERNAL_SECRET)}")
    secret = one(manifests, "ExternalSecret")
    assert secret["spec"]["target"]["name"] == "depot"
    container = workload(manifests)["spec"]["template"]["spec"]["containers"][0]
    assert container["envFrom"] == [{"secretRef": {"name": "depot"}}]
    result = _validate_crs([secret])
    assert result.returncode == 0, result.stdout


def test_external_secret_as_read_only_files(helm: str) -> None:
    values = {**EXTERNAL_SECRET, "exposeAs": "file", "mountPath": "/etc/app/secrets"}
    manifests = _render(helm, "--set-json", f"externalSecret={json.dumps(values)}")
    pod = workload(manifests)["spec"]["template"]["spec"]
    mount = next(m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "external-secret")
    assert mount == {"name": "external-secret", "mountPath": "/etc/app/secrets", "readOnly": True}
    assert "envFrom" not in pod["containers"][0]
    for m in manifests:
        if kube_schema.is_builtin(m["apiVersion"]):
            assert not kube_schema.errors(m, "1.34"), m["kind"]


def test_without_ingress_no_alb_cidrs_are_needed(helm: str) -> None:
    manifests = _render(
        helm, "--set", "ingress.enabled=false", "--set-json", "networkPolicy.ingressCidrs=[]"
    )
    assert not [m for m in manifests if m["kind"] == "Ingress"]
    policy = one(manifests, "NetworkPolicy")["spec"]
    assert not any("ipBlock" in p for rule in policy["ingress"] for p in rule["from"])


def test_auto_promotion_is_opt_in(helm: str) -> None:
    manifests = helm_template(
        helm,
        [
            *own_combo("prod").helm_args(),
            "--set",
            "blueGreen.autoPromotionEnabled=true",
            "--set",
            "blueGreen.autoPromotionSeconds=120",
        ],
    )
    blue_green = one(manifests, "Rollout")["spec"]["strategy"]["blueGreen"]
    assert blue_green["autoPromotionEnabled"] is True
    assert blue_green["autoPromotionSeconds"] == 120
