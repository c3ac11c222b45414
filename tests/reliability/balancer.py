"""nginx as the load balancer in front of several replicas, configured like an ALB.

Open-source nginx has no active health checks, so the harness (see `controller.py`)
registers and deregisters upstreams and reloads nginx, as the AWS Load Balancer
Controller does with target groups. Settings that mirror the ALB:
- `proxy_next_upstream off`: an ALB never retries a request on another target, so a
  replica that drops a request must show as a failed request, not be hidden by a retry.
- `client_max_body_size 0`: the ALB sets no body limit; the service answers 413 itself.
- `client_header_timeout` / `client_body_timeout`: the ALB's and this proxy's defence
  against slow clients (the ASGI server has no header timeout of its own).
- upstream keepalive shorter than uvicorn's keep-alive (75 s), so the proxy, not the
  pod, closes idle connections (no request races a close).
- `keepalive_timeout 0` towards clients: a reload closes idle client connections, a race
  an ALB (which never reloads) does not have; one connection per request keeps the
  harness from counting its own artefact as the service's failure.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.reliability.procs import wait_until
from tests.support.tools import free_port

CONF = """\
{user}
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 2048; }}
http {{
  log_format lb '$msec $status $request_method $uri $upstream_addr $upstream_status '
                '$request_time';
  access_log {dir}/access.log lb;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  keepalive_timeout 0;
  client_header_timeout {header_timeout}s;
  client_body_timeout {body_timeout}s;
  client_max_body_size 0;
  large_client_header_buffers 4 32k;
  {upstream}
  server {{
    listen 127.0.0.1:{port};
    location = /__lb/generation {{ return 200 "{generation}"; }}
    location / {{
      {proxy}
    }}
  }}
}}
"""

UPSTREAM = """upstream replicas {{
    {servers}
    keepalive 32;
    keepalive_timeout 60s;
  }}"""

PROXY = """proxy_pass http://replicas;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Request-ID $request_id;
      proxy_request_buffering off;
      proxy_buffering off;
      proxy_next_upstream off;
      proxy_connect_timeout 2s;
      proxy_read_timeout 60s;"""

# No target registered: the ALB answers 503 by itself.
NO_TARGETS = 'return 503 "no healthy targets\\n";'


@dataclass
class Nginx:
    workdir: Path
    binary: str
    header_timeout: float = 5
    body_timeout: float = 10
    port: int = field(default_factory=free_port)
    generation: int = 0
    upstreams: tuple[int, ...] = ()
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def conf(self) -> Path:
        return self.workdir / "nginx.conf"

    def _write(self) -> None:
        servers = " ".join(f"server 127.0.0.1:{p} max_fails=0;" for p in self.upstreams)
        self.conf.write_text(
            CONF.format(
                # As root, workers would run as `nobody` and could not use the temp dir.
                user="user root;" if os.geteuid() == 0 else "",
                dir=self.workdir,
                port=self.port,
                generation=self.generation,
                header_timeout=self.header_timeout,
                body_timeout=self.body_timeout,
                upstream=UPSTREAM.format(servers=servers) if self.upstreams else "",
                proxy=PROXY if self.upstreams else NO_TARGETS,
            )
        )

    def start(self, upstreams: list[int]) -> Nginx:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.upstreams = tuple(upstreams)
        self._write()
        with (self.workdir / "stderr.log").open("ab") as log:
            self.process = subprocess.Popen(
                [self.binary, "-c", str(self.conf), "-p", str(self.workdir)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until(lambda: self._generation() == self.generation, 15, "nginx to start")
        return self

    def set_upstreams(self, ports: list[int]) -> None:
        """Register exactly these replicas; returns once new requests follow the new set."""
        wanted = tuple(sorted(ports))
        if wanted == tuple(sorted(self.upstreams)):
            return
        self.upstreams = wanted
        self.generation += 1
        self._write()
        subprocess.run(
            [self.binary, "-c", str(self.conf), "-p", str(self.workdir), "-s", "reload"],
            check=True,
            capture_output=True,
            timeout=15,
        )
        # A reload is asynchronous: wait until a fresh connection is served by the new
        # configuration (its generation number), as a target becomes "registered".
        wait_until(lambda: self._generation() == self.generation, 15, "nginx to reload")

    def _generation(self) -> int | None:
        try:
            response = httpx.get(f"{self.url}/__lb/generation", timeout=1.0)
        except httpx.HTTPError:
            return None
        return int(response.text) if response.status_code == 200 else None

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def error_log(self) -> str:
        path = self.workdir / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""
