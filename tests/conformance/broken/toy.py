"""A small service on the standard library alone that meets the platform's service
contract (docs/conformance.md), with one flaw switched on by TOY_FLAW (baked into the
image by the Containerfile): the test images the conformance suite must pass or fail.

  none             conforms
  plain-logs       logs plain text lines
  ignores-sigterm  ignores SIGTERM: stays ready and never exits
  quits-on-sigterm exits at once on SIGTERM, before the kubelet can see it unready
  no-histogram     exposes no request-duration histogram
  ignores-config   starts with a default when TOY_GREETING is missing or TOY_WORKERS bad
  loopback         listens on 127.0.0.1 only: nothing outside the container reaches it
"""

import json
import os
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FLAW = os.environ.get("TOY_FLAW", "none")
BUCKETS = ("0.1", "0.25", "0.3", "0.5", "1", "+Inf")
ROUTES = ("/livez", "/readyz", "/metrics")
_lock = threading.Lock()
_requests: dict[tuple[str, str, str], int] = {}
_durations: dict[tuple[str, str, str], list[float]] = {}
_draining = threading.Event()


def log(level: str, event: str, **fields: object) -> None:
    if FLAW == "plain-logs":
        print(f"{level.upper()} {event} {fields}", flush=True)
        return
    now = datetime.now(UTC).isoformat()
    record = {"timestamp": now, "level": level, "event": event, "logger": "toy", **fields}
    print(json.dumps(record), flush=True)


def settings() -> dict[str, object]:
    greeting = os.environ.get("TOY_GREETING", "")
    workers = os.environ.get("TOY_WORKERS", "4")
    if FLAW == "ignores-config":
        return {"greeting": greeting or "hello", "workers": 4}
    problems = []
    if not greeting:
        problems.append("TOY_GREETING: is required but not set")
    if not workers.isdigit():
        problems.append(f"TOY_WORKERS: must be a whole number (got {workers!r})")
    if problems:
        print("invalid configuration:\n  " + "\n  ".join(problems), file=sys.stderr)
        sys.exit(2)
    return {"greeting": greeting, "workers": int(workers)}


def exposition() -> str:
    lines = ["# TYPE http_requests_total counter"]
    with _lock:
        for (method, route, status), count in sorted(_requests.items()):
            labels = f'method="{method}",route="{route}",status="{status}"'
            lines.append(f"http_requests_total{{{labels}}} {count}")
        if FLAW != "no-histogram":
            lines.append("# TYPE http_request_duration_seconds histogram")
            for (method, route, status), seen in sorted(_durations.items()):
                labels = f'method="{method}",route="{route}",status="{status}"'
                for le in BUCKETS:
                    below = sum(1 for d in seen if le == "+Inf" or d <= float(le))
                    lines.append(
                        f'http_request_duration_seconds_bucket{{{labels},le="{le}"}} {below}'
                    )
                lines.append(f"http_request_duration_seconds_count{{{labels}}} {len(seen)}")
                lines.append(f"http_request_duration_seconds_sum{{{labels}}} {sum(seen)}")
    return "\n".join(lines) + "\n"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        started = time.monotonic()
        route = self.path if self.path in ROUTES else "other"
        if route == "/livez":
            code, body = 200, "alive\n"
        elif route == "/readyz":
            code, body = (503, "draining\n") if _draining.is_set() else (200, "ready\n")
        elif route == "/metrics":
            code, body = 200, exposition()
        else:
            code, body = 404, "not found\n"
        payload = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        key = ("GET", route, str(code))
        with _lock:
            _requests[key] = _requests.get(key, 0) + 1
            _durations.setdefault(key, []).append(time.monotonic() - started)

    def log_message(self, format: str, *args: object) -> None:
        log("info", "request", route=self.path)


def main() -> None:
    config = settings()
    port = int(os.environ.get("PORT", "8080"))
    drain = float(os.environ.get("DRAIN_SECONDS", "5"))
    host = "127.0.0.1" if FLAW == "loopback" else "0.0.0.0"  # noqa: S104
    server = ThreadingHTTPServer((host, port), Handler)

    def on_sigterm(signum: int, frame: object) -> None:
        _draining.set()
        log("info", "draining", seconds=drain)
        # Still serving while the kubelet notices; then stop accepting and exit.
        threading.Timer(drain, server.shutdown).start()

    def quit_now(signum: int, frame: object) -> None:
        os._exit(0)

    if FLAW == "ignores-sigterm":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    else:
        signal.signal(signal.SIGTERM, quit_now if FLAW == "quits-on-sigterm" else on_sigterm)
    log("info", "started", port=port, workers=config["workers"], flaw=FLAW)
    server.serve_forever()
    server.server_close()
    log("info", "stopped")


if __name__ == "__main__":
    main()
