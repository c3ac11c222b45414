"""The configs of the local stack, derived from the project's own files, never written
anew: the rule source rendered as the chart renders it (optionally time-compressed, and
then labelled so), the local scrape config, and the real Alertmanager routing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from observability.generate import rules
from observability.generate.yamlio import dump
from tests.observability import live_configs

# The label every alert of a time-compressed rendering carries, so nobody mistakes a
# page fired in a minute for one that took an hour (shown by Prometheus, Alertmanager
# and the receiver alike).
COMPRESSION_LABEL = "time_compression"
# An hour of burn takes a minute, as in the live alerting test.
DEFAULT_DIVISOR = live_configs.WINDOW_DIVISOR


def service_rules(divisor: int) -> dict[str, Any]:
    """The rules the chart renders for a service (observability/rules/slo.yaml and
    service.yaml), with windows and `for` divided by `divisor`. Names, thresholds and
    expressions stay the source's; with divisor 1 the file is the production rendering."""
    doc = rules.render_plain(rules.SERVICE_SOURCES, window_divisor=divisor)
    if divisor != 1:
        for group in doc["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    rule.setdefault("labels", {})[COMPRESSION_LABEL] = f"{divisor}x"
    return doc


def prometheus_config(
    out: Path, depot_targets: list[str], prometheus: str, alertmanager: str, rules_dir: Path
) -> Path:
    """observability/prometheus/local.yaml with its targets pointed at this stack, the
    prod cluster's external labels (so pages route as in prod), and one-second scrape
    and evaluation (a compressed 5-minute window is 5 seconds: it needs samples)."""
    config: dict[str, Any] = yaml.safe_load(live_configs.LOCAL_PROMETHEUS.read_text())
    config["global"] = {
        "scrape_interval": "1s",
        "evaluation_interval": "1s",
        "external_labels": live_configs.external_labels(),
    }
    # A glob: the folder starts empty and the rules arrive once the targets are scraped
    # (tests.observability.processes.load_rules_once_scraped says why).
    config["rule_files"] = [str(rules_dir / "*.rules.yaml")]
    config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] = [alertmanager]
    depot = next(j for j in config["scrape_configs"] if j["job_name"] == "depot")
    depot["static_configs"][0]["targets"] = depot_targets
    config["scrape_configs"] += live_configs.monitoring_jobs(prometheus, alertmanager)
    path = out / "prometheus.yaml"
    path.write_text(dump(config))
    return path


def alertmanager_config(out: Path, receiver_url: str) -> Path:
    """The platform's routing tree and inhibition, every receiver a webhook to the local
    receiver (pagers also their real PagerDuty config aimed at it)."""
    return live_configs.alertmanager_config(out, receiver_url)
