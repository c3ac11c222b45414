"""One loopback HTTP server for the live test: the Alertmanager webhook receiver (POST
/<receiver name>), a PagerDuty Events API v2 endpoint (POST /pagerduty/<receiver name>:
the pager receivers' real pagerduty_configs, pointed here) and synthetic exporter
endpoints with the real exporters' metric and label names (GET /metrics: kube-state-metrics
and cAdvisor; GET /cloudwatch: YACE)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"
KUBE_FIXTURE = FIXTURES / "kubernetes-metrics.prom"
CLOUDWATCH_FIXTURE = FIXTURES / "cloudwatch-metrics.prom"


class Receiver:
    def __init__(self, port: int) -> None:
        self.port = port
        self.notifications: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._started = time.monotonic()
        # Switched off by a test to make the exporter's series vanish.
        self.cloudwatch_enabled = True
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    receiver.notifications.append((self.path.strip("/"), json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def do_GET(self) -> None:
                if self.path == "/cloudwatch":
                    enabled = receiver.cloudwatch_enabled
                    text = CLOUDWATCH_FIXTURE.read_text().encode() if enabled else b""
                elif self.path == "/openapi.json":
                    # A public endpoint stand-in for the external probe.
                    text = b'{"openapi": "3.1.0"}'
                else:
                    text = receiver.kube_metrics().encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, *_: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def kube_metrics(self) -> str:
        # Counters must grow for rate() to return anything: CPU seconds follow the clock.
        cpu = f"{(time.monotonic() - self._started) * 0.25:.3f}"
        return KUBE_FIXTURE.read_text().replace("CPU_SECONDS", cpu)

    def alerts(self, receiver: str | None = None) -> list[dict[str, Any]]:
        """Every alert delivered by webhook (to one receiver, or any), with `receiver` added."""
        with self._lock:
            delivered = list(self.notifications)
        return [
            {**alert, "receiver": name}
            for name, payload in delivered
            if (receiver is None or name == receiver) and "alerts" in payload
            for alert in payload["alerts"]
        ]

    def pagerduty_events(self, receiver: str) -> list[dict[str, Any]]:
        """The PagerDuty Events API v2 bodies Alertmanager sent for one pager receiver."""
        with self._lock:
            delivered = list(self.notifications)
        return [payload for name, payload in delivered if name == f"pagerduty/{receiver}"]
