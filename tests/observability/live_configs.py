"""Configs of the live test, derived from the project's own files (not written anew):
the local scrape config, the rule sources and the Alertmanager routing."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from observability.generate import rules
from observability.generate.yamlio import dump
from tests.support.tools import ROOT

LOCAL_PROMETHEUS = ROOT / "observability" / "prometheus" / "local.yaml"
ALERTMANAGER = ROOT / "observability" / "alertmanager" / "alertmanager.yaml"
ALB_RELABEL = ROOT / "observability" / "exporters" / "alb-relabel.yaml"
# The live Prometheus plays the prod cluster's: its external labels come from there.
PROD_PROMETHEUS_VALUES = (
    ROOT / "gitops/platform/addons/environments/prod/kube-prometheus-stack.yaml"
)


def external_labels() -> dict[str, str]:
    values = yaml.safe_load(PROD_PROMETHEUS_VALUES.read_text())
    return values["prometheus"]["prometheusSpec"]["externalLabels"]  # type: ignore[no-any-return]


# The rules' windows and `for` durations divided by 60 (an hour of burn takes a minute);
# thresholds, names and expressions stay those of the source.
WINDOW_DIVISOR = 60


SERVICE_RULES_FILE = "service.rules.yaml"


def rule_files() -> dict[str, dict[str, Any]]:
    """The rule files of the live stack by name: the service's rules time-compressed, the
    platform's in real time."""
    return {
        SERVICE_RULES_FILE: rules.render_plain(
            rules.SERVICE_SOURCES, window_divisor=WINDOW_DIVISOR
        ),
        "platform.rules.yaml": rules.render_plain([rules.PLATFORM_SOURCE]),
    }


def prometheus_config(
    out: Path,
    depot_targets: list[str],
    kube_target: str,
    alertmanager: str,
    rules_dir: Path,
    extra_jobs: list[dict[str, Any]] | None = None,
) -> Path:
    config: dict[str, Any] = yaml.safe_load(LOCAL_PROMETHEUS.read_text())
    config["global"] = {
        "scrape_interval": "1s",
        "evaluation_interval": "1s",
        "external_labels": external_labels(),
    }
    config["rule_files"] = [str(rules_dir / "*.rules.yaml")]
    config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] = [alertmanager]
    depot = next(j for j in config["scrape_configs"] if j["job_name"] == "depot")
    depot["static_configs"][0]["targets"] = depot_targets
    config["scrape_configs"].append(
        {
            "job_name": "kubernetes-synthetic",
            "honor_labels": True,
            "static_configs": [{"targets": [kube_target]}],
        }
    )
    config["scrape_configs"].append(cloudwatch_job(kube_target))
    config["scrape_configs"] += extra_jobs or []
    path = out / "prometheus.yaml"
    path.write_text(dump(config))
    return path


def cloudwatch_job(target: str) -> dict[str, Any]:
    """The CloudWatch exporter's scrape (job name as the ServiceMonitor sets it) with the
    project's ALB relabelling, from a stand-in serving YACE's output shape."""
    return {
        "job_name": "cloudwatch-exporter",
        "metrics_path": "/cloudwatch",
        "static_configs": [{"targets": [target]}],
        "metric_relabel_configs": yaml.safe_load(ALB_RELABEL.read_text()),
    }


def _fast_timers(route: dict[str, Any]) -> None:
    for key, value in (("group_wait", "1s"), ("group_interval", "2s")):
        if key in route:
            route[key] = value
    for child in route.get("routes", []):
        _fast_timers(child)


def _test_receiver(
    receiver: dict[str, Any], webhook_base: str, key_file: Path, pagerduty_base: str
) -> dict[str, Any]:
    """A webhook to the test (path = receiver name); a pager keeps its real PagerDuty
    config (the summary template under test) with the endpoint and key swapped."""
    name = receiver["name"]
    result: dict[str, Any] = {
        "name": name,
        "webhook_configs": [{"url": f"{webhook_base}/{name}", "send_resolved": False}],
    }
    if "pagerduty_configs" in receiver:
        result["pagerduty_configs"] = [
            {**pd, "routing_key_file": str(key_file), "url": f"{pagerduty_base}/pagerduty/{name}"}
            for pd in receiver["pagerduty_configs"]
        ]
    return result


def alertmanager_config(out: Path, webhook_base: str, pagerduty_base: str = "") -> Path:
    """The real routing tree and inhibition rules; every receiver replaced by a webhook
    to the test, pagers also by their real PagerDuty config aimed at the test (or at
    `pagerduty_base`, e.g. a closed port to make PagerDuty fail), and the grouping timers
    cut to seconds."""
    config: dict[str, Any] = copy.deepcopy(yaml.safe_load(ALERTMANAGER.read_text()))
    key_file = out / "pagerduty-routing-key"
    key_file.write_text("0123456789abcdef0123456789abcdef")
    config["receivers"] = [
        _test_receiver(r, webhook_base, key_file, pagerduty_base or webhook_base)
        for r in config["receivers"]
    ]
    config["route"]["group_wait"] = "1s"
    config["route"]["group_interval"] = "2s"
    _fast_timers(config["route"])
    path = out / "alertmanager.yaml"
    path.write_text(dump(config))
    return path


BLACKBOX_MODULES = ROOT / "observability" / "exporters" / "blackbox.yaml"
PROBE_MODULE = "http_2xx_public"


def probe_job(blackbox: str, targets: list[str], labels: dict[str, str]) -> dict[str, Any]:
    """The scrape job prometheus-operator generates from the Probe (promcfg.go, v0.83.0:
    target -> __param_target -> instance, the exporter as __address__), with static
    targets on loopback instead of discovered Ingresses, and the labels the Probe's
    relabelling derives from the Ingress (namespace, service)."""
    return {
        "job_name": "probe/monitoring/public-endpoints",
        "metrics_path": "/probe",
        "params": {"module": [PROBE_MODULE]},
        "static_configs": [{"targets": targets, "labels": labels}],
        "relabel_configs": [
            {"source_labels": ["__address__"], "target_label": "__param_target"},
            {"source_labels": ["__param_target"], "target_label": "instance"},
            {"target_label": "__address__", "replacement": blackbox},
        ],
    }


def monitoring_jobs(prometheus: str, alertmanager: str) -> list[dict[str, Any]]:
    """Prometheus and Alertmanager scraped as kube-prometheus-stack scrapes them: the
    platform-health alerts and runbooks read their own metrics."""
    return [
        {"job_name": "prometheus", "static_configs": [{"targets": [prometheus]}]},
        {"job_name": "alertmanager", "static_configs": [{"targets": [alertmanager]}]},
    ]
