"""Slow and oversized input at the proxy, the platform's first line of defence.

uvicorn has no header or body receive timeout of its own. So the header deadline is the
proxy's (nginx `client_header_timeout`, like the ALB's), the body deadline is the
service's (DEPOT_BODY_TIMEOUT_SECONDS, answered 408 problem+json), and headers too large
for either are refused with a 4xx before anything reaches a handler. Each case has a
control that must pass: a slow but timely client is served.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.reliability.balancer import Nginx
from tests.reliability.procs import RecordProperty, Replica, Resources

HEADER_TIMEOUT = 2  # nginx client_header_timeout, seconds
APP_BODY_TIMEOUT = 2  # DEPOT_BODY_TIMEOUT_SECONDS
PROXY_BODY_TIMEOUT = 5  # nginx client_body_timeout: between two reads, longer than the app's
BOUND = 10  # no case may hold a connection open longer than this


@pytest.fixture(scope="module")
def proxied(
    tmp_path_factory: pytest.TempPathFactory, nginx_binary: str, resources: Resources
) -> Iterator[tuple[Nginx, Replica]]:
    workdir = tmp_path_factory.mktemp("proxy-limits")
    env = {
        **resources.env(),
        "DEPOT_BODY_TIMEOUT_SECONDS": str(APP_BODY_TIMEOUT),
        "DEPOT_LOG_LEVEL": "WARNING",
    }
    replica = Replica("limits", env, workdir).start()
    lb = Nginx(
        workdir / "nginx", nginx_binary, header_timeout=HEADER_TIMEOUT,
        body_timeout=PROXY_BODY_TIMEOUT,
    ).start([replica.port])  # fmt: skip
    try:
        yield lb, replica
    finally:
        lb.stop()
        replica.stop()


def _trickle(port: int, pieces: list[bytes], pause: float) -> tuple[bytes, float]:
    """Send `pieces` with `pause` between them; return what the server answered and when
    it closed (seconds), reading at most BOUND seconds."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=BOUND) as sock:
        for piece in pieces:
            try:
                sock.sendall(piece)
            except OSError:
                break  # the server already closed: what it said is read below
            time.sleep(pause)
        received = b""
        sock.settimeout(max(BOUND - (time.monotonic() - started), 0.1))
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return received, time.monotonic() - started


def _status(raw: bytes) -> int | None:
    line = raw.split(b"\r\n", 1)[0].split()
    return int(line[1]) if len(line) > 1 and line[1].isdigit() else None


def _slow_headers(pause: float, lines: int) -> list[bytes]:
    head = [b"GET /livez HTTP/1.1\r\n", b"Host: depot\r\n"]
    return head + [f"X-Slow-{i}: x\r\n".encode() for i in range(lines)] + [b"\r\n"]


@pytest.mark.slow
def test_slowloris_headers_are_cut_by_the_proxy(
    proxied: tuple[Nginx, Replica], record_property: RecordProperty
) -> None:
    lb, _ = proxied
    # 0.4 s between lines, 20 lines: the header would take 8 s to arrive.
    raw, seconds = _trickle(lb.port, _slow_headers(0.4, 20), 0.4)
    record_property("slow_header_cut_after_seconds", round(seconds, 2))
    assert _status(raw) in (None, 408), raw[:200]  # nginx closes, at most saying 408
    assert b"alive" not in raw, "a slowloris request reached the service"
    assert seconds < HEADER_TIMEOUT + 2, f"the proxy held a slow header for {seconds:.1f}s"


@pytest.mark.slow
def test_slow_but_timely_headers_are_served(proxied: tuple[Nginx, Replica]) -> None:
    lb, _ = proxied
    raw, _ = _trickle(lb.port, [*_slow_headers(0.2, 3)[:-1], b"Connection: close\r\n\r\n"], 0.2)
    assert _status(raw) == 200, raw[:200]


def _post(body: bytes, key: str, declared: int) -> list[bytes]:
    head = (
        b"POST /v1/documents HTTP/1.1\r\nHost: depot\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {key}\r\nContent-Length: {declared}\r\n".encode()
        + b"Connection: close\r\n\r\n"
    )
    return [head] + [body[i : i + 4] for i in range(0, len(body), 4)]


@pytest.mark.slow
@pytest.mark.parametrize("pause", [0.5, 0.0])
def test_slow_or_stalled_body_gets_the_services_408(
    proxied: tuple[Nginx, Replica], resources: Resources, pause: float
) -> None:
    """Trickled (a few bytes every 0.5 s, which no per-read timeout catches) or stalled
    (the body never comes): the service's whole-body deadline answers 408 problem+json."""
    lb, _ = proxied
    body = b'{"name": "slow body document"}'
    pieces = _post(body, resources.keys["acme"], len(body))
    if pause == 0.0:
        pieces = pieces[:1]  # headers only; the declared body never arrives
    raw, seconds = _trickle(lb.port, pieces, pause)
    assert _status(raw) == 408, raw[:300]
    assert b"application/problem+json" in raw
    assert seconds < APP_BODY_TIMEOUT + 3


@pytest.mark.slow
def test_body_within_the_deadline_is_served(
    proxied: tuple[Nginx, Replica], resources: Resources
) -> None:
    lb, _ = proxied
    body = b'{"name": "prompt"}'
    raw, _ = _trickle(lb.port, _post(body, resources.keys["acme"], len(body)), 0.05)
    assert _status(raw) == 201, raw[:300]


@pytest.mark.parametrize(
    ("header_bytes", "expected"),
    [(20_000, 431), (40_000, 400), (2_000, 200)],
    ids=["over-the-service-limit", "over-the-proxy-limit", "normal"],
)
def test_oversized_headers_are_refused_before_any_handler(
    proxied: tuple[Nginx, Replica], header_bytes: int, expected: int
) -> None:
    """Over the service's 16 KiB total: its 431 problem+json. Over the proxy's 32 KiB
    per line: the proxy's 400. Never a 5xx, never a hang."""
    lb, _ = proxied
    response = httpx.get(f"{lb.url}/livez", headers={"X-Big": "a" * header_bytes}, timeout=BOUND)
    assert response.status_code == expected, response.text[:200]
    if expected == 431:
        assert response.headers["content-type"].startswith("application/problem+json")
