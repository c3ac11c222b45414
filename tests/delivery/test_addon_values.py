"""Add-on values that a bootstrap on a real EKS cluster depends on, each against the rule
of the component that reads it (chart keys verified in docs/pins/charts.yaml)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.delivery import platform as p
from tests.support.tools import ROOT, require_tool

ADDONS = ROOT / "gitops/platform/addons"
ENVIRONMENTS = sorted(x.name for x in (ROOT / "gitops/environments").iterdir() if x.is_dir())
# An EC2 VPC id: vpc- and 8 or 17 hex digits (what `terraform output vpc_id` prints).
VPC_ID = re.compile(r"^vpc-([0-9a-f]{8}|[0-9a-f]{17})$")


def values(addon: str, env: str | None = None) -> dict[str, Any]:
    path = ADDONS / ("values" if env is None else f"environments/{env}") / f"{addon}.yaml"
    return yaml.safe_load(path.read_text()) or {} if path.is_file() else {}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_load_balancer_controller_is_told_its_vpc(env: str) -> None:
    # Pods cannot reach IMDS (hop limit 1), so without vpcId the controller cannot start.
    merged = p.deep_merge(
        values("aws-load-balancer-controller"), values("aws-load-balancer-controller", env)
    )
    assert VPC_ID.match(str(merged.get("vpcId"))), f"{env}: vpcId {merged.get('vpcId')!r}"
    assert merged.get("region") and merged.get("clusterName") == f"depot-{env}"


def test_loki_runs_without_the_8_gib_memcached_caches() -> None:
    loki = values("loki")
    assert loki["chunksCache"]["enabled"] is False
    assert loki["resultsCache"]["enabled"] is False


def _alloy_pipeline() -> str:
    config_map = yaml.safe_load(
        (ROOT / "gitops/platform/observability/logging/alloy-config.yaml").read_text()
    )
    return str(config_map["data"][values("alloy")["alloy"]["configMap"]["key"]])


def test_alloy_runs_clustered_when_its_pipeline_shares_targets() -> None:
    clustered_pipeline = re.search(r"clustering\s*\{\s*enabled\s*=\s*true", _alloy_pipeline())
    chart_clustering = p.dig(values("alloy"), "alloy.clustering.enabled") is True
    assert bool(clustered_pipeline) == chart_clustering, (
        "loki.source.kubernetes clustering needs alloy.clustering.enabled in the chart values"
    )


def test_no_network_policy_opens_otlp_to_a_collector_without_an_otlp_receiver() -> None:
    # The policy comes from the shared values (gitops/services/); one environment shows it.
    built = p.build(ROOT, "dev", "ha", require_tool("helm", "scripts/setup/helm.sh"))
    for app in built.apps.values():
        for obj in app.objects:
            if obj["kind"] != "NetworkPolicy":
                continue
            for rule in obj["spec"].get("egress", []):
                ports = {port.get("port") for port in rule.get("ports", [])}
                if not ports & {4317, 4318}:
                    continue
                peers = [peer.get("podSelector", {}).get("matchLabels", {}) for peer in rule["to"]]
                if any(labels.get("app.kubernetes.io/name") == "alloy" for labels in peers):
                    assert "otelcol.receiver.otlp" in _alloy_pipeline(), (
                        f"{app.name}: NetworkPolicy opens OTLP to Alloy, which has no receiver"
                    )


def test_people_can_sign_in_to_argo_cd() -> None:
    cm = values("argo-cd")["configs"]["cm"]
    sso = cm.get("oidc.config") or cm.get("dex.config")
    assert cm.get("admin.enabled") != "false" or sso, "admin is off and no SSO is configured"
    oidc = yaml.safe_load(cm["oidc.config"])
    assert oidc["issuer"].startswith("https://") and "groups" in oidc["requestedScopes"]
    rbac = values("argo-cd")["configs"]["rbac"]
    assert rbac["scopes"] == "[groups]" and "role:admin" in rbac["policy.csv"]


def test_blue_green_promotion_verifies_the_alb_target_group() -> None:
    # The high-availability model promises blue/green (docs/deployment-models.md), so the
    # check below always has a rollout to protect.
    ha = yaml.safe_load((ROOT / "gitops/profiles/ha.yaml").read_text())
    assert ha.get("blueGreen", {}).get("enabled") is True
    assert "--aws-verify-target-group" in values("argo-rollouts")["controller"]["extraArgs"]
    for env in ENVIRONMENTS:
        account = values("argo-rollouts", env)["serviceAccount"]["annotations"]
        assert account[p.ROLE_ARN].endswith(f":role/depot-{env}-argo-rollouts")


def test_an_oci_chart_is_named_the_way_argo_cd_reads_it() -> None:
    # Argo CD v3.0.6 docs/user-guide/helm.md: an OCI Helm chart's repoURL is the registry
    # path "note: the oci:// syntax is not included", and the registry is declared as a
    # Helm repository with enableOCI (ADR 0033).
    appset = yaml.safe_load((ROOT / "gitops/argocd/addons.yaml").read_text())
    elements = appset["spec"]["generators"][0]["matrix"]["generators"][1]["list"]["elements"]
    repositories = values("argo-cd")["configs"]["repositories"].values()
    oci = {r["url"] for r in repositories if r.get("enableOCI") == "true" and r["type"] == "helm"}
    for element in elements:
        url = element["repoURL"]
        assert "://" not in url or url.startswith("https://"), f"{element['addon']}: {url}"
        if not url.startswith("https://"):
            assert url in oci, f"{element['addon']}: OCI registry {url} not declared with enableOCI"
