"""A keep-alive front for the emulator, for the client comparison only.

moto's server answers every request with `Connection: close`, so against it each client
call also pays a TCP connect, an address lookup and a close, which DynamoDB (keep-alive
TLS connections, reused for hundreds of calls) does not. nginx on the load core keeps the
clients' connections open and reconnects to moto itself: the clients' CPU then counts
the per-call work only (signing, serialising, parsing, the HTTP exchange).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.servers import LOAD_CORE
from tests.reliability.procs import wait_until
from tests.support.tools import free_port

CONF = """\
{user}
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  keepalive_timeout 60s;
  keepalive_requests 100000;
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass {upstream};
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_buffering off;
    }}
  }}
}}
"""


@contextmanager
def keepalive_front(nginx: str, upstream: str, workdir: Path) -> Iterator[str]:
    """URL of nginx on the load core, proxying to `upstream` with keep-alive to clients."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = workdir / "nginx.conf"
    user = "user root;" if os.geteuid() == 0 else ""
    conf.write_text(CONF.format(user=user, dir=workdir, port=port, upstream=upstream))
    argv = ["taskset", "-c", str(LOAD_CORE), nginx, "-c", str(conf), "-p", str(workdir)]
    with (workdir / "stderr.log").open("ab") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(url), 15, "the keep-alive front to answer")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


def _answers(url: str) -> bool:
    import httpx

    try:
        httpx.get(f"{url}/moto-api/", timeout=1.0)
    except httpx.HTTPError:
        return False
    return True
