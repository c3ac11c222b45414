"""`make up` end to end, in the order a newcomer uses it: the stack comes up quiet; the
fault switch causes a dependency outage; the platform's fast-burn page (the chart's
rule, time-compressed and labelled so) reaches the receiver and is printed; Prometheus'
alerts page shows it firing in headless Chromium (screenshot in .cache/reports/); Ctrl-C
stops everything and no process is left. The tests share one running stack, in order.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.support import chromium
from tests.support.tools import ROOT
from tests.up.alerts_page import rule_states
from tests.up.conftest import Up
from tests.up.processes import alive, descendants, group_alive
from tools.up.pages import PAGE_MARK

pytestmark = pytest.mark.slow
PAGE = "ServiceAvailabilityFastBurn"
REPORTS = ROOT / ".cache" / "reports"
SCREENSHOT = REPORTS / "up-prometheus-alerts.png"


def wait_for(what: str, check: Callable[[], bool], timeout: float, up: Up) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        assert up.running(), f"make up exited:\n{up.output()}"
        time.sleep(0.5)
    pytest.fail(f"{what} not seen within {timeout}s; output:\n{up.output()}")


def query(up: Up, expr: str) -> list[dict[str, object]]:
    response = httpx.get(f"{up.state['prometheus']}/api/v1/query", params={"query": expr})
    return response.json()["data"]["result"]  # type: ignore[no-any-return]


def page_lines(up: Up) -> list[str]:
    return [line for line in up.output().splitlines() if line.startswith(PAGE_MARK)]


def firing(up: Up, alertname: str) -> bool:
    return bool(query(up, f'ALERTS{{alertname="{alertname}", alertstate="firing"}}'))


def test_it_prints_where_everything_is_and_what_to_try(up: Up) -> None:
    out = up.output()
    for key in ("api_docs", "prometheus", "alertmanager"):
        assert up.state[key] in out
        assert up.state[key].startswith("http://127.0.0.1:")
    assert "Try this" in out and f"{up.state['fault_switch']}/fault/outage" in out
    assert "TIME-COMPRESSED 60x" in out
    assert httpx.get(up.state["api_docs"]).status_code == 200


def test_healthy_traffic_pages_nobody(up: Up) -> None:
    """The must-not case: the generator's traffic reaches depot and Prometheus evaluates
    the burn over it, and nothing pages."""
    wait_for(
        "successful requests evaluated by the burn-rate rules",
        lambda: (
            bool(query(up, 'http_requests_total{status="201"}'))
            and bool(query(up, "service:slo_availability_errors:ratio_rate5m"))
        ),
        60,
        up,
    )
    time.sleep(10)  # ten compressed minutes of healthy history
    auth = {"Authorization": f"Bearer {up.state['api_key']}"}
    assert httpx.get(f"{up.state['depot']}/v1/documents", headers=auth).status_code == 200
    assert not firing(up, PAGE)
    # No page even pending since start: every alert that ever went pending left an ALERTS
    # series, so Prometheus's own start-up (targets applied on a 5 s tick, longer than
    # the compressed `for`) would show here before it pages.
    assert not query(up, 'count by (alertname) (count_over_time(ALERTS{severity="page"}[1h]))')
    assert not page_lines(up), up.output()


def test_a_dependency_outage_pages_the_receiver(
    up: Up, record_property: Callable[[str, object], None]
) -> None:
    started = time.monotonic()
    switched = subprocess.run(
        [sys.executable, "-m", "tools.up", "--workdir", str(up.workdir), "fault", "outage"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert switched.returncode == 0, switched.stdout + switched.stderr
    assert httpx.get(f"{up.state['fault_switch']}/fault").json() == {"fault": "outage"}
    # The switch reaches depot: a storage call now fails fast with 503 (ADR 0004).
    documents = f"{up.state['depot']}/v1/documents"
    auth = {"Authorization": f"Bearer {up.state['api_key']}"}
    wait_for(
        "depot answering 503 to a storage call",
        lambda: httpx.get(documents, headers=auth, timeout=10).status_code == 503,
        30,
        up,
    )
    wait_for(
        f"{PAGE} printed by the receiver",
        lambda: any(PAGE in line and "depot-pager" in line for line in page_lines(up)),
        150,
        up,
    )
    # A figure for the report (xunit1 keeps it), never asserted: speed is for benchmarks.
    record_property("fault_to_printed_page_seconds", round(time.monotonic() - started, 1))
    out = up.output()
    page = next(line for line in page_lines(up) if PAGE in line)
    assert "(firing)" in page
    # The labelled time-compressed rendering of the chart's rule, routed as in prod.
    after = out[out.index(page) :].splitlines()
    labels = next(line for line in after if line.startswith("    labels: "))
    assert "'time_compression': '60x'" in labels and "'severity': 'page'" in labels, labels
    assert "PagerDuty event to depot-pager: [prod/" in out


def test_prometheus_alerts_page_shows_the_page_firing_in_chromium(up: Up, tmp_path: Path) -> None:
    assert firing(up, PAGE)
    url = up.state["prometheus_alerts"]

    def browse(*args: str) -> str:
        return chromium.browse(url, *args, workdir=tmp_path, timeout=90)

    shown = rule_states(browse("--virtual-time-budget=5000", "--dump-dom"))
    assert shown.get(PAGE) == "firing", shown
    # The must-not: the service is still scraped, so its target alert is shown inactive.
    assert shown.get("ServiceTargetsDown") == "inactive", shown
    REPORTS.mkdir(parents=True, exist_ok=True)
    shot = tmp_path / "alerts.png"
    browse("--window-size=1280,1000", "--virtual-time-budget=5000", f"--screenshot={shot}")
    assert shot.read_bytes().startswith(b"\x89PNG"), "no PNG screenshot"
    shutil.copyfile(shot, SCREENSHOT)


def test_ctrl_c_stops_everything(up: Up) -> None:
    children = descendants(up.popen.pid)
    assert len(children) >= 4, children  # emulator, depot, Alertmanager, Prometheus
    # Ctrl-C in a terminal: SIGINT to the whole foreground process group.
    os.killpg(up.popen.pid, signal.SIGINT)
    assert up.popen.wait(timeout=60) == 0, up.output()
    assert "nothing is left running" in up.output()
    assert not [pid for pid in children if alive(pid)]
    assert not group_alive(up.popen.pid)
    for key in ("depot", "prometheus", "alertmanager", "emulator", "fault_switch", "receiver"):
        with pytest.raises(httpx.ConnectError):
            httpx.get(up.state[key], timeout=2)
    assert not (up.workdir / "state.json").exists()
