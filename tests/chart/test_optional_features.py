"""Opt-in features that depot does not use but other services may: each renders, passes
the schemas, and wires into the pod."""

from __future__ import annotations

import json

import pytest

from tests.chart import kube_schema
from tests.chart.rendering import RenderError, helm_template, one, own_combo, workload
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
    # The tenant's own store, as its own IRSA role; never the platform's ClusterSecretStore.
    store = one(manifests, "SecretStore")
    assert secret["spec"]["secretStoreRef"] == {"kind": "SecretStore", "name": "depot"}
    aws = store["spec"]["provider"]["aws"]
    assert aws["auth"] == {"jwt": {"serviceAccountRef": {"name": "depot"}}}
    assert aws["region"] == "eu-west-1"
    container = workload(manifests)["spec"]["template"]["spec"]["containers"][0]
    assert container["envFrom"] == [{"secretRef": {"name": "depot"}}]
    result = _validate_crs([secret, store])
    assert result.returncode == 0, result.stdout


def test_an_external_secret_without_an_irsa_role_fails_rendering(helm: str) -> None:
    with pytest.raises(RenderError) as failure:
        _render(
            helm,
            "--set-json",
            f"externalSecret={json.dumps(EXTERNAL_SECRET)}",
            "--set",
            "serviceAccount.roleArn=",
        )
    assert "serviceAccount.roleArn" in failure.value.stderr


def test_a_zero_backoff_limit_stays_zero(helm: str) -> None:
    # `| default 1` would turn an explicit 0 (never retry a run) into 1.
    manifests = _render(helm, "--set", "cronJobs.sweep.backoffLimit=0")
    job = one(manifests, "CronJob")["spec"]["jobTemplate"]["spec"]
    assert job["backoffLimit"] == 0
    assert one(_render(helm), "CronJob")["spec"]["jobTemplate"]["spec"]["backoffLimit"] == 1


def test_the_preview_service_name_is_a_dns_label_for_the_longest_release(helm: str) -> None:
    longest = "d" * 53  # Helm refuses release names longer than 53 characters
    manifests = helm_template(helm, own_combo("prod").helm_args(), release=longest)
    preview = next(
        s
        for s in manifests
        if s["kind"] == "Service"
        and s["metadata"]["labels"]["app.kubernetes.io/component"] == "preview"
    )
    assert len(preview["metadata"]["name"]) <= 63
    strategy = one(manifests, "Rollout")["spec"]["strategy"]["blueGreen"]
    assert strategy["previewService"] == preview["metadata"]["name"]


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
