"""Alertmanager routing: valid, every route tested with amtool, no inline credentials.

Inhibition, which `amtool config routes test` ignores, is tested on a live Alertmanager
in test_live.py.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.tools import ROOT

SOURCE = ROOT / "observability" / "alertmanager" / "alertmanager.yaml"
DEPLOYED = ROOT / "gitops" / "platform" / "observability" / "alertmanager" / "config.yaml"
CASES = yaml.safe_load((ROOT / "observability" / "alertmanager" / "routes.test.yaml").read_text())[
    "cases"
]
# Keys that would hold a credential inline; each has a *_file twin that must be used.
INLINE_SECRET_KEYS = {
    "routing_key",
    "service_key",
    "api_url",
    "api_key",
    "password",
    "bearer_token",
    "credentials",
    "auth_password",
    "webhook_url",
}


def _config() -> dict[str, Any]:
    return yaml.safe_load(SOURCE.read_text())  # type: ignore[no-any-return]


def _routes(route: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield route
    for child in route.get("routes", []):
        yield from _routes(child)


def _keys(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _keys(value)
    elif isinstance(node, list):
        for item in node:
            yield from _keys(item)


def test_amtool_accepts_the_config(amtool: str) -> None:
    result = subprocess.run([amtool, "check-config", str(SOURCE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_deployed_secret_carries_the_source_verbatim(amtool: str, tmp_path: Path) -> None:
    secret = yaml.safe_load(DEPLOYED.read_text())
    assert secret["kind"] == "Secret" and secret["metadata"]["namespace"] == "monitoring"
    deployed = secret["stringData"]["alertmanager.yaml"]
    assert deployed == SOURCE.read_text()
    (tmp_path / "am.yaml").write_text(deployed)
    result = subprocess.run(
        [amtool, "check-config", str(tmp_path / "am.yaml")], capture_output=True
    )
    assert result.returncode == 0


def _route_test(
    amtool: str, receiver: str, labels: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            amtool,
            "config",
            "routes",
            "test",
            f"--config.file={SOURCE}",
            f"--verify.receivers={receiver}",
            *(f"{k}={v}" for k, v in labels.items()),
        ],
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_route(amtool: str, case: dict[str, Any]) -> None:
    result = _route_test(amtool, case["receiver"], case["labels"])
    assert result.returncode == 0, f"{case['name']}: {result.stdout}{result.stderr}"


def test_a_wrong_expectation_fails(amtool: str) -> None:
    """The route test can fail: a page must not reach the ticket receiver."""
    result = _route_test(amtool, "depot-tickets", {"severity": "page", "team": "depot"})
    assert result.returncode != 0


def test_every_receiver_in_the_routes_has_a_case() -> None:
    used = {r["receiver"] for r in _routes(_config()["route"]) if "receiver" in r}
    assert used - {c["receiver"] for c in CASES} == set()


ENVIRONMENTS = ("dev", "staging", "prod")
KPS_VALUES = ROOT / "gitops" / "platform" / "addons" / "values" / "kube-prometheus-stack.yaml"


def _external_labels(env: str) -> dict[str, str]:
    path = ROOT / "gitops/platform/addons/environments" / env / "kube-prometheus-stack.yaml"
    labels = yaml.safe_load(path.read_text())["prometheus"]["prometheusSpec"]["externalLabels"]
    return labels  # type: ignore[no-any-return]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_each_cluster_names_itself_and_pings_its_own_heartbeat(amtool: str, env: str) -> None:
    """One heartbeat per cluster: the cluster's external label routes its Watchdog to a
    heartbeat no other cluster pings, every minute."""
    labels = _external_labels(env)
    assert labels["environment"] == env and labels["cluster"]
    watchdog = _config()["route"]["routes"][0]
    assert watchdog["matchers"] == ['alertname="Watchdog"']
    matchers = [f'cluster="{labels["cluster"]}"']
    child = next(r for r in watchdog["routes"] if r["matchers"] == matchers)
    assert child["repeat_interval"] == "1m", "the heartbeat expects a ping every minute"
    receiver = next(r for r in _config()["receivers"] if r["name"] == child["receiver"])
    url = receiver["webhook_configs"][0]["url"]
    others = [_external_labels(e)["cluster"] for e in ENVIRONMENTS if e != env]
    assert labels["cluster"] in url and not any(o in url for o in others)
    result = _route_test(amtool, child["receiver"], {"alertname": "Watchdog", **labels})
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_heartbeat_is_never_inhibited() -> None:
    for rule in _config()["inhibit_rules"]:
        assert not any("heartbeat" in m or "Watchdog" in m for m in rule["target_matchers"])


def test_group_by_keeps_clusters_and_backends_apart() -> None:
    assert {"cluster", "backend"} <= set(_config()["route"]["group_by"])


def test_cluster_outage_inhibits_only_scrape_symptoms() -> None:
    """The cluster-wide inhibition must not silence any team's SLO, load-balancer, probe
    or traffic page (the live test shows it on a real Alertmanager)."""
    rule = next(r for r in _config()["inhibit_rules"] if 'scope="cluster"' in r["source_matchers"])
    assert rule["target_matchers"] == ['alertname=~"ServiceTargetsDown|ServiceTargetsAbsent"']
    assert rule["equal"] == ["cluster"]


def test_kube_prometheus_stack_is_tuned_for_eks() -> None:
    """Components EKS does not expose are off, so their default alerts (KubeProxyDown,
    KubeSchedulerDown, KubeControllerManagerDown, etcd*) are not rendered at all, and
    every default alert carries the platform team (keys verified in chart 75.6.1)."""
    values = yaml.safe_load(KPS_VALUES.read_text())
    for component in ("kubeProxy", "kubeScheduler", "kubeControllerManager", "kubeEtcd"):
        assert values[component]["enabled"] is False, component
    assert values["defaultRules"]["additionalRuleLabels"] == {"team": "platform"}
    assert values["prometheus"]["prometheusSpec"]["probeSelectorNilUsesHelmValues"] is False


def test_receivers_reference_credentials_by_file() -> None:
    for receiver in _config()["receivers"]:
        inline = INLINE_SECRET_KEYS & set(_keys(receiver))
        assert not inline, f"receiver {receiver['name']} has inline credentials: {inline}"
        files = [k for k in _keys(receiver) if k.endswith("_file")]
        assert files, f"receiver {receiver['name']} reads no credential file"
