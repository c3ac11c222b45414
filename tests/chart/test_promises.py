"""The chart's promises, checked on the rendered output of every environment x profile."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.chart.conftest import Renderer
from tests.chart.rendering import (
    ALL_COMBOS,
    CHART,
    ENVIRONMENTS,
    NAMESPACE,
    Combo,
    Manifest,
    by_kind,
    one,
    own_combo,
    pod_specs,
    workload,
)

ACCOUNTS = {"dev": "111111111111", "staging": "222222222222", "prod": "333333333333"}
REGISTRY = "444444444444.dkr.ecr.eu-west-1.amazonaws.com/"
IMAGE = re.compile(
    r"^444444444444\.dkr\.ecr\.eu-west-1\.amazonaws\.com/depot:v\d+\.\d+\.\d+@sha256:[a-f0-9]{64}$"
)
ALB = "alb.ingress.kubernetes.io/"


def _containers(manifests: list[Manifest]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    return [(name, pod, c) for name, pod in pod_specs(manifests) for c in pod.get("containers", [])]


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container.get("env", [])}


def _server(manifests: list[Manifest]) -> dict[str, Any]:
    return workload(manifests)["spec"]["template"]["spec"]["containers"][0]  # type: ignore[no-any-return]


# --- image -------------------------------------------------------------------------


def test_every_image_is_a_release_tag_pinned_by_digest_from_ecr(
    render: Renderer, combo: Combo
) -> None:
    for name, _, container in _containers(render(combo)):
        assert IMAGE.match(container["image"]), f"{name}: {container['image']}"


# --- workload, rollout, replicas ---------------------------------------------------


def test_rolling_update_never_drops_capacity(render: Renderer, combo: Combo) -> None:
    w = workload(render(combo))
    if w["kind"] == "Deployment":
        assert w["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    else:
        blue_green = w["spec"]["strategy"]["blueGreen"]
        assert blue_green["activeService"] == "depot"
        assert blue_green["previewService"] == "depot-preview"


def test_replica_count_is_absent_exactly_when_an_autoscaler_owns_it(
    render: Renderer, combo: Combo
) -> None:
    manifests = render(combo)
    scaled = by_kind(manifests, "ScaledObject")
    assert not by_kind(manifests, "HorizontalPodAutoscaler"), "KEDA generates the HPA"
    assert ("replicas" in workload(manifests)["spec"]) is (not scaled)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_ha_profile_runs_three_replicas_spread_over_three_zones_with_pdb_and_blue_green(
    render: Renderer, env: str
) -> None:
    manifests = render(Combo(env, "ha"))
    scaled = one(manifests, "ScaledObject")
    assert scaled["spec"]["minReplicaCount"] >= 3
    w = workload(manifests)
    assert w["kind"] == "Rollout"
    assert {s["metadata"]["name"] for s in by_kind(manifests, "Service")} == {
        "depot",
        "depot-preview",
    }
    zone = next(
        t
        for t in w["spec"]["template"]["spec"]["topologySpreadConstraints"]
        if t["topologyKey"] == "topology.kubernetes.io/zone"
    )
    assert zone["whenUnsatisfiable"] == "DoNotSchedule"
    assert zone["minDomains"] == 3
    assert zone["maxSkew"] == 1
    assert one(manifests, "PodDisruptionBudget")["spec"]["maxUnavailable"] == 1


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_cost_optimized_profile_is_two_fixed_replicas_without_autoscaler(
    render: Renderer, env: str
) -> None:
    manifests = render(Combo(env, "cost-optimized"))
    assert not by_kind(manifests, "ScaledObject")
    assert not by_kind(manifests, "HorizontalPodAutoscaler")
    w = workload(manifests)
    assert w["kind"] == "Deployment"
    assert w["spec"]["replicas"] == 2
    assert one(manifests, "PodDisruptionBudget")["spec"]["maxUnavailable"] == 1


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_cost_optimized_requests_less_and_scrapes_less_than_ha(render: Renderer, env: str) -> None:
    ha, cheap = render(Combo(env, "ha")), render(Combo(env, "cost-optimized"))
    if env != "prod":  # prod sets its own sizes for every profile
        assert _cpu_millis(_server(cheap)["resources"]["requests"]["cpu"]) < _cpu_millis(
            _server(ha)["resources"]["requests"]["cpu"]
        )
    assert one(cheap, "ServiceMonitor")["spec"]["endpoints"][0]["interval"] == "60s"


def _cpu_millis(value: str | int | float) -> float:
    text = str(value)
    return float(text[:-1]) if text.endswith("m") else float(text) * 1000


def test_pdb_uses_max_unavailable_below_the_replica_floor(render: Renderer, combo: Combo) -> None:
    manifests = render(combo)
    pdb = one(manifests, "PodDisruptionBudget")
    assert "minAvailable" not in pdb["spec"]
    scaled = by_kind(manifests, "ScaledObject")
    floor = (
        scaled[0]["spec"]["minReplicaCount"] if scaled else workload(manifests)["spec"]["replicas"]
    )
    assert pdb["spec"]["maxUnavailable"] < floor
    assert pdb["spec"]["selector"] == workload(manifests)["spec"]["selector"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_ha_autoscaler_doubles_within_a_minute_and_has_room_to_grow(
    render: Renderer, env: str
) -> None:
    # A traffic spike is met by scaling out at once (no stabilisation, at least +100 % a
    # minute) up to a ceiling well above the floor; a timid policy passed every other check.
    spec = one(render(Combo(env, "ha")), "ScaledObject")["spec"]
    up = spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]["scaleUp"]
    assert up["stabilizationWindowSeconds"] == 0
    assert any(
        p["type"] == "Percent" and p["value"] >= 100 and p["periodSeconds"] <= 60
        for p in up["policies"]
    ), up["policies"]
    assert spec["maxReplicaCount"] >= 2 * spec["minReplicaCount"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_autoscaling_uses_cpu_and_the_request_rate_of_this_service(
    render: Renderer, env: str
) -> None:
    manifests = render(Combo(env, "ha"))
    spec = one(manifests, "ScaledObject")["spec"]
    w = workload(manifests)
    assert spec["scaleTargetRef"] == {
        "apiVersion": w["apiVersion"],
        "kind": w["kind"],
        "name": w["metadata"]["name"],
    }
    triggers = {t["type"]: t for t in spec["triggers"]}
    assert set(triggers) == {"cpu", "prometheus"}
    assert triggers["cpu"]["metricType"] == "Utilization"
    assert triggers["prometheus"]["metadata"]["query"] == (
        'sum(rate(http_requests_total{namespace="depot",service="depot",'
        'route!~"/livez|/readyz|/metrics"}[2m]))'
    )
    assert spec["minReplicaCount"] <= spec["maxReplicaCount"]


def test_pods_spread_over_zones_and_nodes(render: Renderer, combo: Combo) -> None:
    pod = workload(render(combo))["spec"]["template"]["spec"]
    keys = {t["topologyKey"] for t in pod["topologySpreadConstraints"]}
    assert keys == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}


# --- probes and shutdown timings ---------------------------------------------------


def test_probes_target_livez_and_readyz(render: Renderer, combo: Combo) -> None:
    container = _server(render(combo))
    assert container["startupProbe"]["httpGet"] == {"path": "/livez", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert {p["name"]: p["containerPort"] for p in container["ports"]} == {"http": 8080}


def test_shutdown_timings_satisfy_the_drain_inequalities(render: Renderer, combo: Combo) -> None:
    """ALB deregistration <= preStop + drain; preStop + drain + shutdown < grace period."""
    manifests = render(combo)
    pod = workload(manifests)["spec"]["template"]["spec"]
    container = pod["containers"][0]
    env = _env(container)
    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    drain = int(env["DEPOT_DRAIN_SECONDS"])
    shutdown = int(env["DEPOT_SHUTDOWN_TIMEOUT_SECONDS"])
    grace = pod["terminationGracePeriodSeconds"]
    attrs = one(manifests, "Ingress")["metadata"]["annotations"][f"{ALB}target-group-attributes"]
    deregistration = int(re.search(r"deregistration_delay\.timeout_seconds=(\d+)", attrs)[1])  # type: ignore[index]
    assert (pre_stop, drain, shutdown, deregistration, grace) == (10, 5, 10, 15, 30)
    assert deregistration <= pre_stop + drain
    assert pre_stop + drain + shutdown < grace
    readiness = container["readinessProbe"]
    assert readiness["periodSeconds"] * readiness["failureThreshold"] <= drain


def test_each_shutdown_number_is_set_once(render: Renderer, combo: Combo) -> None:
    for name, _, container in _containers(render(combo)):
        names = [e["name"] for e in container["env"]]
        assert len(names) == len(set(names)), f"{name}: duplicate env {names}"


# --- identity and configuration ----------------------------------------------------


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_irsa_role_and_aws_names_follow_the_naming_contract(render: Renderer, env: str) -> None:
    manifests = render(own_combo(env))
    account = ACCOUNTS[env]
    sa = one(manifests, "ServiceAccount")
    assert sa["metadata"]["name"] == "depot"
    assert sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == (
        f"arn:aws:iam::{account}:role/depot-{env}"
    )
    assert sa["automountServiceAccountToken"] is False
    for name, pod, container in _containers(manifests):
        assert pod["serviceAccountName"] == "depot", name
        assert pod["automountServiceAccountToken"] is False, name
        env_vars = _env(container)
        assert env_vars["DEPOT_TABLE_NAME"] == f"depot-{env}-documents"
        assert env_vars["DEPOT_BUCKET_NAME"] == f"depot-{env}-content-{account}"
        assert env_vars["DEPOT_KEYS_SECRET_ID"] == f"depot/{env}/api-keys"
        assert env_vars["AWS_REGION"] == "eu-west-1"
        assert not any(k.startswith("AWS_SECRET") or k == "AWS_ACCESS_KEY_ID" for k in env_vars)


def test_nothing_secret_is_rendered(render: Renderer, combo: Combo) -> None:
    kinds = {m["kind"] for m in render(combo)}
    assert not kinds & {"Secret", "ExternalSecret"}, "depot reads its keys from Secrets Manager"


# --- ingress ---------------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_ingress_is_an_https_only_alb_with_acm_waf_and_a_modern_tls_policy(
    render: Renderer, env: str
) -> None:
    ingress = one(render(own_combo(env)), "Ingress")
    notes = ingress["metadata"]["annotations"]
    account = ACCOUNTS[env]
    assert ingress["spec"]["ingressClassName"] == "alb"
    assert ingress["spec"]["rules"][0]["host"] == f"depot.{env}.example.com"
    assert notes[f"{ALB}certificate-arn"].startswith(
        f"arn:aws:acm:eu-west-1:{account}:certificate/"
    )
    assert notes[f"{ALB}ssl-redirect"] == "443"
    assert notes[f"{ALB}ssl-policy"].startswith("ELBSecurityPolicy-TLS13-")
    assert notes[f"{ALB}wafv2-acl-arn"].startswith(
        f"arn:aws:wafv2:eu-west-1:{account}:regional/webacl/"
    )
    assert notes[f"{ALB}target-type"] == "ip"
    assert notes[f"{ALB}healthcheck-path"] == "/readyz"
    paths = ingress["spec"]["rules"][0]["http"]["paths"]
    assert [p["path"] for p in paths] == ["/v1", "/docs", "/openapi.json"]
    for path in paths:
        assert path["backend"]["service"] == {"name": "depot", "port": {"name": "http"}}
    # Tags the ALB so its CloudWatch metrics can be attributed to this service's alerts.
    assert notes[f"{ALB}tags"] == "namespace=depot,service=depot"


# --- pod security ------------------------------------------------------------------


def test_every_pod_and_container_is_restricted(render: Renderer, combo: Combo) -> None:
    for name, pod, container in _containers(render(combo)):
        pod_ctx, ctx = pod["securityContext"], container["securityContext"]
        assert pod_ctx["runAsNonRoot"] is True, name
        assert isinstance(pod_ctx["runAsUser"], int) and pod_ctx["runAsUser"] > 0, name
        assert pod_ctx["seccompProfile"]["type"] == "RuntimeDefault", name
        assert ctx["readOnlyRootFilesystem"] is True, name
        assert ctx["allowPrivilegeEscalation"] is False, name
        assert ctx["privileged"] is False, name
        assert ctx["capabilities"] == {"drop": ["ALL"]}, name
        assert not pod.get("hostNetwork") and not pod.get("hostPID"), name
        assert all("hostPath" not in v for v in pod.get("volumes", [])), name
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        assert "/tmp" in mounts, f"{name}: a read-only root needs a writable /tmp"


def test_every_container_has_requests_and_limits(render: Renderer, combo: Combo) -> None:
    for name, _, container in _containers(render(combo)):
        res = container["resources"]
        for part in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(res[part]), f"{name}: {part} {res}"


# --- network -----------------------------------------------------------------------


def test_network_policy_denies_by_default_and_allows_only_alb_prometheus_dns_https_otel(
    render: Renderer, combo: Combo
) -> None:
    manifests = render(combo)
    policy = one(manifests, "NetworkPolicy")["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    # Every pod of the release (server and CronJobs) is selected.
    selected = policy["podSelector"]["matchLabels"]
    for name, _, _ in _containers(manifests):
        template = _template_labels(manifests, name)
        assert selected.items() <= template.items(), name
    ingress_peers = [peer for rule in policy["ingress"] for peer in rule["from"]]
    cidrs = sorted(p["ipBlock"]["cidr"] for p in ingress_peers if "ipBlock" in p)
    octet = {"dev": 10, "staging": 20, "prod": 30}[combo.env]
    assert cidrs == [f"10.{octet}.{i}.0/24" for i in range(3)]
    scrapers = [p for p in ingress_peers if "namespaceSelector" in p]
    assert [p["namespaceSelector"]["matchLabels"] for p in scrapers] == [
        {"kubernetes.io/metadata.name": "monitoring"}
    ]
    for rule in policy["ingress"]:
        assert rule["ports"] == [{"port": "http", "protocol": "TCP"}]
    egress_ports = sorted((p["port"], p["protocol"]) for r in policy["egress"] for p in r["ports"])
    # OTLP (4317/4318) only to a collector named in networkPolicy.otelCollector; depot
    # names none, since the platform runs no OTLP receiver (gitops/services/depot.yaml).
    assert egress_ports == [(53, "TCP"), (53, "UDP"), (443, "TCP")]
    assert all(rule.get("to") for rule in policy["egress"]), (
        "an egress rule without `to` allows all"
    )


def _template_labels(manifests: list[Manifest], object_name: str) -> dict[str, str]:
    kind, _, name = object_name.partition("/")
    m = next(x for x in manifests if x["kind"] == kind and x["metadata"]["name"] == name)
    spec = m["spec"]["jobTemplate"]["spec"] if kind == "CronJob" else m["spec"]
    return spec["template"]["metadata"]["labels"]  # type: ignore[no-any-return]


def test_service_selects_only_server_pods(render: Renderer, combo: Combo) -> None:
    manifests = render(combo)
    service = next(s for s in by_kind(manifests, "Service") if s["metadata"]["name"] == "depot")
    selector = service["spec"]["selector"]
    assert (
        selector.items()
        <= _template_labels(manifests, f"{workload(manifests)['kind']}/depot").items()
    )
    for cron in by_kind(manifests, "CronJob"):
        labels = _template_labels(manifests, f"CronJob/{cron['metadata']['name']}")
        assert not selector.items() <= labels.items(), "a CronJob pod would receive traffic"


# --- monitoring --------------------------------------------------------------------


def test_service_monitor_scrapes_the_active_service_only(render: Renderer, combo: Combo) -> None:
    manifests = render(combo)
    monitor = one(manifests, "ServiceMonitor")["spec"]
    matched = [
        s["metadata"]["name"]
        for s in by_kind(manifests, "Service")
        if monitor["selector"]["matchLabels"].items() <= s["metadata"]["labels"].items()
    ]
    assert matched == ["depot"], "the preview Service would double every series"
    assert monitor["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    assert monitor["endpoints"][0]["port"] == "http"
    assert monitor["endpoints"][0]["path"] == "/metrics"


# --- scheduled jobs ----------------------------------------------------------------


def test_sweeper_runs_every_15_minutes_from_the_same_image_without_overlap(
    render: Renderer, combo: Combo
) -> None:
    manifests = render(combo)
    cron = one(manifests, "CronJob")
    assert cron["metadata"]["name"] == "depot-sweep"
    assert cron["spec"]["schedule"] == "*/15 * * * *"
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    job_container = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert job_container["args"] == ["sweep"]
    assert job_container["image"] == _server(manifests)["image"]


# --- the chart stays generic -------------------------------------------------------


# Generated from observability/ rules, which include service-specific dependency metrics.
GENERATED_TEMPLATES = {"prometheusrule.yaml"}


def test_templates_name_no_service() -> None:
    for path in sorted((CHART / "templates").iterdir()):
        if path.name in GENERATED_TEMPLATES:
            continue
        assert "depot" not in path.read_text().lower(), f"{path.name} is service-specific"


def test_all_combinations_are_covered() -> None:
    assert len(ALL_COMBOS) == 6
