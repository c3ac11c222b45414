"""The live stack: moto, two depot instances, Prometheus, Alertmanager and the test's
receiver, all on 127.0.0.1, and the scenario that drives them to a fast-burn page."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.observability import live_configs
from tests.observability.processes import (
    DEPOT_PYTHON,
    Process,
    absent_watches,
    alertmanager,
    blackbox_exporter,
    depot_instance,
    load_rules_once_scraped,
    prometheus,
)
from tests.observability.receiver import Receiver
from tests.observability.traffic import Traffic
from tests.support.moto import MotoServer, start_moto
from tests.support.tools import free_port


@dataclass
class Stack:
    workdir: Path
    moto: MotoServer | None = None
    depots: list[Process] = field(default_factory=list)
    prometheus: Process | None = None
    alertmanager: Process | None = None
    blackbox: Process | None = None
    receiver: Receiver | None = None
    traffic: Traffic | None = None
    api_key: str = ""
    prometheus_url: str = ""
    alertmanager_url: str = ""
    metrics_text: str = ""
    # Seconds from the emulator going away to the page at the webhook (a figure for the
    # report, never asserted: speed belongs to benchmarks).
    outage_to_page_seconds: float = 0.0

    def query(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        params: dict[str, str | float] = {"query": expr}
        if at is not None:
            params["time"] = at
        response = httpx.get(f"{self.prometheus_url}/api/v1/query", params=params, timeout=10)
        body = response.json()
        assert body.get("status") == "success", f"{expr}: {body}"
        return body["data"]["result"]  # type: ignore[no-any-return]

    def am_alerts(self) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.alertmanager_url}/api/v2/alerts", timeout=10)
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        httpx.post(
            f"{self.alertmanager_url}/api/v2/alerts", json=alerts, timeout=10
        ).raise_for_status()

    def depot_logs(self) -> list[str]:
        return [line for p in self.depots for line in p.log_path.read_text().splitlines()]

    def stop(self) -> None:
        for stopper in (
            self.traffic.stop if self.traffic else None,
            self.prometheus.stop if self.prometheus else None,
            self.alertmanager.stop if self.alertmanager else None,
            self.blackbox.stop if self.blackbox else None,
            *(p.stop for p in self.depots),
            self.moto.stop if self.moto else None,
            self.receiver.stop if self.receiver else None,
        ):
            if stopper:
                stopper()


def wait_for(what: str, check: Callable[[], bool], timeout: float, stack: Stack) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise TimeoutError(
        f"{what} not seen within {timeout}s; traffic statuses "
        f"{dict(stack.traffic.statuses) if stack.traffic else {}}\n"
        f"prometheus log:\n{stack.prometheus.log_tail() if stack.prometheus else ''}"
    )


def _provision(moto_url: str) -> dict[str, Any]:
    result = subprocess.run(
        [
            str(DEPOT_PYTHON),
            "-m",
            "depot",
            "dev",
            "provision",
            "--endpoint-url",
            moto_url,
            "--tenant",
            "acme",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "PATH": ""},
        check=True,
    )
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def start_stack(workdir: Path, prometheus_bin: str, am_bin: str, blackbox_bin: str) -> Stack:
    stack = Stack(workdir=workdir)
    try:
        stack.moto = start_moto(workdir)
        names = _provision(stack.moto.url)
        stack.api_key = names["keys"]["acme"]
        aws = {
            "AWS_REGION": names["region"],
            "AWS_ENDPOINT_URL": stack.moto.url,
            "DEPOT_TABLE_NAME": names["table"],
            "DEPOT_BUCKET_NAME": names["bucket"],
            "DEPOT_KEYS_SECRET_ID": names["secret_id"],
        }
        ports = [free_port(), free_port()]
        stack.depots = [depot_instance(port, aws, workdir) for port in ports]
        stack.receiver = Receiver(free_port()).start()

        am_port, prom_port = free_port(), free_port()
        am_dir, prom_dir = workdir / "am", workdir / "prom"
        am_dir.mkdir()
        prom_dir.mkdir()
        am_config = live_configs.alertmanager_config(workdir, stack.receiver.url)
        stack.alertmanager = alertmanager(am_config, am_port, am_dir / "data", am_bin)
        stack.alertmanager_url = f"http://127.0.0.1:{am_port}"

        # The external probe of the service's public document, as in the cluster.
        bb_port = free_port()
        stack.blackbox = blackbox_exporter(
            live_configs.BLACKBOX_MODULES, bb_port, workdir, blackbox_bin
        )
        probe = live_configs.probe_job(
            f"127.0.0.1:{bb_port}",
            [f"http://127.0.0.1:{p}/openapi.json" for p in ports],
            {"namespace": "depot", "service": "depot"},
        )
        rules_dir = workdir / "rules"
        rules_dir.mkdir()
        prom_config = live_configs.prometheus_config(
            workdir,
            [f"127.0.0.1:{p}" for p in ports],
            f"127.0.0.1:{stack.receiver.port}",
            f"127.0.0.1:{am_port}",
            rules_dir,
            [
                *live_configs.monitoring_jobs(f"127.0.0.1:{prom_port}", f"127.0.0.1:{am_port}"),
                probe,
            ],
        )
        stack.prometheus = prometheus(prom_config, prom_port, prom_dir / "data", prometheus_bin)
        stack.prometheus_url = f"http://127.0.0.1:{prom_port}"
        files = live_configs.rule_files()
        load_rules_once_scraped(
            stack.prometheus,
            stack.prometheus_url,
            rules_dir,
            files,
            absent_watches(files[live_configs.SERVICE_RULES_FILE]),
        )
        return stack
    except BaseException:
        stack.stop()
        raise


def run_outage_scenario(stack: Stack) -> None:
    """Healthy traffic until Prometheus sees both instances serving, then the emulator
    goes away (connections refused: every storage call fails, the service answers 503)
    until the fast-burn page reaches the pager receiver and the slow-burn ticket exists."""
    base_urls = [f"http://127.0.0.1:{p.env['PORT']}" for p in stack.depots if p.env]
    stack.traffic = Traffic(base_urls, stack.api_key).start()
    wait_for(
        "both instances scraped with successful requests",
        lambda: len(stack.query('sum by (instance) (http_requests_total{status="201"})')) == 2,
        60,
        stack,
    )
    time.sleep(5)  # a few seconds of healthy history for the long windows
    stack.metrics_text = httpx.get(f"{base_urls[0]}/metrics", timeout=5).text
    assert stack.moto is not None
    stack.moto.stop()
    outage_started = time.monotonic()
    receiver = stack.receiver
    assert receiver is not None
    wait_for(
        "ServiceAvailabilityFastBurn at the depot-pager webhook",
        lambda: any(
            a["labels"]["alertname"] == "ServiceAvailabilityFastBurn"
            for a in receiver.alerts("depot-pager")
        ),
        120,
        stack,
    )
    stack.outage_to_page_seconds = time.monotonic() - outage_started
    wait_for(
        "ServiceAvailabilitySlowBurn in Alertmanager",
        lambda: any(
            a["labels"]["alertname"] == "ServiceAvailabilitySlowBurn" for a in stack.am_alerts()
        ),
        90,
        stack,
    )
