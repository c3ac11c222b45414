"""The whole platform, per environment x profile, keeps the rules a real Argo CD enforces.

Each rule holds for what Git would make Argo CD apply (tests/delivery/platform.py says how
it is computed), and each is shown to catch a crafted violation of its own.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache

import pytest

from tests.delivery import platform as p
from tests.support.tools import ROOT, require_tool

ENVIRONMENTS = sorted(x.name for x in (ROOT / "gitops/environments").iterdir() if x.is_dir())
PROFILES = sorted(x.stem for x in (ROOT / "gitops/profiles").glob("*.yaml"))
COMBOS = [(env, profile) for env in ENVIRONMENTS for profile in PROFILES]


@cache
def _built(env: str, profile: str, helm: str) -> p.Platform:
    return p.build(ROOT, env, profile, helm)


def platform(env: str = "prod", profile: str = "ha") -> p.Platform:
    """A fresh copy: tests that craft violations mutate it."""
    return copy.deepcopy(_built(env, profile, require_tool("helm", "scripts/setup/helm.sh")))


def test_every_environment_has_a_profile_to_combine() -> None:
    assert ENVIRONMENTS and PROFILES, "no environments or profiles: nothing is checked"


@pytest.mark.parametrize(("env", "profile"), COMBOS, ids=[f"{e}-{pr}" for e, pr in COMBOS])
@pytest.mark.parametrize("rule", sorted(p.RULES))
def test_the_whole_platform_keeps_the_rule(env: str, profile: str, rule: str) -> None:
    assert p.RULES[rule](platform(env, profile)) == []


def test_the_platform_is_what_argo_cd_would_see() -> None:
    built = platform("dev", "cost-optimized")
    names = set(built.apps)
    assert {"root", "platform", "platform-capacity", "platform-observability"} <= names
    assert "depot-dev" in names and "addon-karpenter" in names
    depot = {o["kind"] for o in built.apps["depot-dev"].objects}
    assert {"Deployment", "Service", "Ingress", "ServiceMonitor"} <= depot
    assert built.apps["addon-kube-prometheus-stack"].parent == "platform-addons"
    assert "Rollout" in {o["kind"] for o in platform("dev", "ha").apps["depot-dev"].objects}


# ---- crafted violations: each rule catches its own --------------------------------


def _obj(built: p.Platform, app: str, kind: str, name: str) -> p.Obj:
    return next(
        o for o in built.apps[app].objects if o["kind"] == kind and o["metadata"]["name"] == name
    )


def _drop_destination(built: p.Platform) -> None:
    dests = built.projects["platform"]["spec"]["destinations"]
    dests[:] = [d for d in dests if d["namespace"] != "depot"]


def _tenant_cluster_role(built: p.Platform) -> None:
    built.apps["depot-prod"].objects.append(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "x"},
            "rules": [],
        }
    )


def _tenant_quota(built: p.Platform) -> None:
    built.apps["depot-prod"].objects.append(
        {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "more"}, "spec": {}}
    )


def test_the_project_rule_is_argo_cds() -> None:
    project = {"spec": {"namespaceResourceBlacklist": [{"group": "", "kind": "Secret"}]}}
    assert p.group_kind_permitted(project, "apps", "Deployment", namespaced=True)
    assert not p.group_kind_permitted(project, "", "Secret", namespaced=True)
    # An empty (not absent) namespace whitelist permits nothing; no cluster whitelist, no
    # cluster-scoped kind.
    assert not p.group_kind_permitted(
        {"spec": {"namespaceResourceWhitelist": []}}, "apps", "Deployment", namespaced=True
    )
    assert not p.group_kind_permitted(project, "", "Namespace", namespaced=False)
    globbed = {"spec": {"clusterResourceWhitelist": [{"group": "*", "kind": "*"}]}}
    assert p.group_kind_permitted(globbed, "", "Namespace", namespaced=False)


def test_an_object_owned_twice_is_refused() -> None:
    built = platform()
    receivers = _obj(built, "platform-observability", "ExternalSecret", "alertmanager-receivers")
    built.apps["addon-kube-prometheus-stack"].objects.append(copy.deepcopy(receivers))
    errors = p.ownership_violations(built)
    assert any("ExternalSecret monitoring/alertmanager-receivers is owned by" in e for e in errors)


def _storage(name: str | None) -> Callable[[p.Platform], None]:
    def mutate(built: p.Platform) -> None:
        built.apps["platform"].objects = [
            o for o in built.apps["platform"].objects if o["kind"] != "StorageClass"
        ]
        if name:
            spec = built.apps["addon-loki"].values["singleBinary"]["persistence"]
            spec["storageClass"] = name
        else:
            del built.apps["addon-loki"].values["singleBinary"]["persistence"]["storageClass"]

    return mutate


def _open_cluster_store(built: p.Platform) -> None:
    # A tenant ExternalSecret against the platform's store: refused by its conditions.
    built.apps["depot-prod"].objects.append(
        {
            "apiVersion": "external-secrets.io/v1",
            "kind": "ExternalSecret",
            "metadata": {"name": "steal"},
            "spec": {
                "secretStoreRef": {"kind": "ClusterSecretStore", "name": "aws-secrets-manager"},
                "target": {"name": "steal"},
            },
        }
    )


def _no_conditions(built: p.Platform) -> None:
    store = _obj(built, "addon-external-secrets", "ClusterSecretStore", "aws-secrets-manager")
    store["spec"]["conditions"] = [{"namespaces": ["argocd"]}]


def _open_to_all(built: p.Platform) -> None:
    store = _obj(built, "addon-external-secrets", "ClusterSecretStore", "aws-secrets-manager")
    del store["spec"]["conditions"]


def _tenant_store_without_role(built: p.Platform) -> None:
    account = _obj(built, "depot-prod", "ServiceAccount", "depot")
    built.apps["depot-prod"].objects.append(
        {
            "apiVersion": "external-secrets.io/v1",
            "kind": "SecretStore",
            "metadata": {"name": "depot", "namespace": "depot"},
            "spec": {
                "provider": {"aws": {"auth": {"jwt": {"serviceAccountRef": {"name": "depot"}}}}}
            },
        }
    )
    del account["metadata"]["annotations"][p.ROLE_ARN]


def _wrong_irsa(built: p.Platform) -> None:
    account = _obj(built, "addon-karpenter", "ServiceAccount", "karpenter")
    account["metadata"]["name"] = "karpenter-controller"


def _foreign_account(built: p.Platform) -> None:
    account = _obj(built, "addon-loki", "ServiceAccount", "loki")
    arn = account["metadata"]["annotations"][p.ROLE_ARN]
    account["metadata"]["annotations"][p.ROLE_ARN] = arn.replace("333333333333", "111111111111")


def _missing_secret(built: p.Platform) -> None:
    built.apps["addon-kube-prometheus-stack"].values["alertmanager"]["alertmanagerSpec"][
        "secrets"
    ].append("nobody-makes-this")


def _unlabelled_oidc_secret(built: p.Platform) -> None:
    secret = _obj(built, "addon-argo-cd", "ExternalSecret", "argocd-oidc")
    del secret["spec"]["target"]["template"]


def _missing_class(built: p.Platform) -> None:
    built.apps["addon-aws-load-balancer-controller"].objects = [
        o
        for o in built.apps["addon-aws-load-balancer-controller"].objects
        if o["kind"] != "IngressClass"
    ]


def test_roles_awaiting_infra_are_not_yet_in_infra() -> None:
    infra = p.infra_irsa_roles(ROOT)
    assert {"karpenter", "aws-load-balancer-controller", "loki"} <= set(infra), infra
    stale = {name for name in p.AWAITING_INFRA if name in infra}
    assert not stale, f"infra/ now creates {stale}: remove them from AWAITING_INFRA"


def test_the_cluster_store_conditions_are_external_secrets_rules() -> None:
    store = {
        "spec": {
            "conditions": [
                {"namespaceSelector": {"matchLabels": {"team": "x"}}},
                {"namespaceRegexes": ["^mon"]},
            ]
        }
    }
    assert p.cluster_store_admits(store, "a", {"team": "x"})
    assert p.cluster_store_admits(store, "monitoring", {})
    assert not p.cluster_store_admits(store, "depot", {"team": "depot"})
    assert p.cluster_store_admits({"spec": {}}, "depot", {})


def _without_appset_health(built: p.Platform) -> None:
    del built.argocd_values["configs"]["cm"][
        "resource.customizations.health.argoproj.io_ApplicationSet"
    ]


def _same_wave(built: p.Platform) -> None:
    built.waves["platform-capacity"] = built.waves["platform-addons"]


def _unserved_kind(built: p.Platform) -> None:
    built.apps["platform-observability"].objects.append(
        {"apiVersion": "monitoring.example.com/v1", "kind": "Dashboard", "metadata": {"name": "x"}}
    )


def _no_retry(built: p.Platform) -> None:
    built.apps["addon-argo-cd"].spec["syncPolicy"]["retry"]["limit"] = 0


@pytest.mark.parametrize(
    ("rule", "mutate", "message"),
    [
        (
            "project",
            _drop_destination,
            "namespace depot is not a destination of AppProject platform",
        ),
        (
            "project",
            _tenant_cluster_role,
            "rbac.authorization.k8s.io/ClusterRole x is not permitted",
        ),
        ("project", _tenant_quota, "/ResourceQuota more is not permitted in services"),
        (
            "references",
            _storage("gp3"),
            "StorageClass gp3 (singleBinary.persistence.storageClass) exists nowhere",
        ),
        ("references", _storage(None), "unset and no default StorageClass"),
        (
            "references",
            _open_cluster_store,
            "ClusterSecretStore aws-secrets-manager refuses namespace depot",
        ),
        ("references", _no_conditions, "refuses namespace monitoring"),
        (
            "references",
            _open_to_all,
            "ClusterSecretStore aws-secrets-manager admits tenant namespace depot",
        ),
        (
            "references",
            _tenant_store_without_role,
            "SecretStore depot/depot: service account depot has no IRSA",
        ),
        (
            "references",
            _wrong_irsa,
            "ServiceAccount kube-system/karpenter-controller: role depot-prod-karpenter",
        ),
        ("references", _missing_secret, "values name Secret monitoring/nobody-makes-this"),
        ("references", _missing_class, "IngressClass alb exists nowhere"),
        ("references", _foreign_account, "is not in account 333333333333"),
        ("references", _unlabelled_oidc_secret, "Secret argocd/argocd-oidc lacks"),
        (
            "ordering",
            _without_appset_health,
            "no health check makes platform-addons (ApplicationSet) wait",
        ),
        (
            "ordering",
            _same_wave,
            "NodePool /general (CRD from addon-karpenter): wave -5 is not after",
        ),
        ("ordering", _no_retry, "syncs in parallel with its CRD"),
        ("ordering", _unserved_kind, "monitoring.example.com/Dashboard monitoring/x: no add-on"),
    ],
)
def test_a_crafted_violation_is_refused(
    rule: str, mutate: Callable[[p.Platform], None], message: str
) -> None:
    built = platform()
    mutate(built)
    errors = p.RULES[rule](built)
    assert any(message in e for e in errors), errors


def test_the_configured_health_checks_wait_for_children_under_argo_cds_lua() -> None:
    built = platform()
    assert p.gates_on_children(built, "ApplicationSet")
    assert p.gates_on_children(built, "Application")
    script = p.health_check(built, "ApplicationSet")
    assert script is not None
    errored = {
        "status": {
            "conditions": [{"type": "ErrorOccurred", "status": "True", "message": "bad template"}]
        }
    }
    assert p.run_health(script, errored) == "Degraded"
    assert p.run_health(script, {}) == "Progressing"
    # Argo CD's built-in ApplicationSet check (Healthy once ResourcesUpToDate) would not.
    builtin = "hs = {status='Healthy'}\nreturn hs"
    built.argocd_values["configs"]["cm"][
        "resource.customizations.health.argoproj.io_ApplicationSet"
    ] = builtin
    assert not p.gates_on_children(built, "ApplicationSet")


def test_an_autoscaler_counting_probes_is_refused() -> None:
    built = platform("prod", "ha")
    scaled = _obj(built, "depot-prod", "ScaledObject", "depot")
    trigger = next(t for t in scaled["spec"]["triggers"] if t["type"] == "prometheus")
    trigger["metadata"]["query"] = (
        'sum(rate(http_requests_total{namespace="depot",service="depot"}[2m]))'
    )
    errors = p.autoscaling_violations(built)
    assert any("ScaledObject depot counts" in e for e in errors), errors
