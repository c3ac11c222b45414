"""The fault switch: one loopback HTTP endpoint that sets a fault on the proxy between
depot and the AWS emulator (tests/reliability/faultproxy.py, ADR 0061).

    POST /fault/outage   every AWS endpoint refuses connections (a dependency outage)
    POST /fault/errors   DynamoDB and S3 answer 503 in their real error shapes
    POST /fault/none     back to healthy
    GET  /fault          the current fault, as JSON
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.reliability.faultproxy import Fault, FaultProxy

FAULTS = ("outage", "errors", "none")


class FaultSwitch:
    def __init__(self, proxy: FaultProxy, port: int) -> None:
        self.proxy = proxy
        self.port = port
        self.current = "none"
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set(self, fault: str) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; use one of {FAULTS}")
        with self._lock:
            if self.current == "outage":
                self.proxy.start()  # the listener comes back on the same port
            self.proxy.set_fault(None)
            if fault == "outage":
                self.proxy.refuse()
            elif fault == "errors":
                self.proxy.set_fault(Fault("503", backends=frozenset({"dynamodb", "s3"})))
            self.current = fault

    def start(self) -> FaultSwitch:
        switch = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.rstrip("/") != "/fault":
                    self._answer(404, {"error": "GET /fault"})
                    return
                self._answer(200, {"fault": switch.current})

            def do_POST(self) -> None:
                fault = self.path.rstrip("/").removeprefix("/fault/")
                if fault not in FAULTS:
                    self._answer(404, {"error": f"POST /fault/<{'|'.join(FAULTS)}>"})
                    return
                switch.set(fault)
                print(f"[fault switch] fault set: {fault}", flush=True)
                self._answer(200, {"fault": switch.current})

            def _answer(self, status: int, body: dict[str, str]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
