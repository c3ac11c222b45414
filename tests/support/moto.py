"""A real moto server on loopback, as a separate process.

A process (not in-process patches) so the AWS wire protocol is really exercised, and so
fault tests can stop it (SIGSTOP: it still accepts connections but never answers),
kill it, or restart it on the same port.
"""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.tools import ROOT, free_port

MOTO_ENV = {
    # AWS-managed policies (e.g. AmazonEKSClusterPolicy) only exist when loaded at start.
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
}
# Imported into every emulator process before moto serves: where moto departs from the
# AWS API reference in a way the platform meets, AWS's documented behaviour (the module
# says which departures and where AWS documents them).
FIDELITY = "tests.support.moto_fidelity"


@dataclass
class MotoServer:
    port: int
    log_path: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    # (certificate, key, CA that signed it): serve HTTPS with moto's own --ssl-cert/-key.
    tls: tuple[Path, Path, Path] | None = None
    # Modules imported into the server process at start (after FIDELITY), through a
    # sitecustomize on its PYTHONPATH.
    preload: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> MotoServer:
        env = {**os.environ, **MOTO_ENV, **self.extra_env}
        shim = self.log_path.parent / f"moto-{self.port}-preload"
        shim.mkdir(exist_ok=True)
        (shim / "sitecustomize.py").write_text(
            "".join(f"import {module}\n" for module in (FIDELITY, *self.preload))
        )
        # An inherited PYTHONPATH (the mutation runner's copy) comes before ROOT.
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(shim), env.get("PYTHONPATH", ""), str(ROOT)) if p
        )
        log = self.log_path.open("ab")
        tls = ["--ssl-cert", str(self.tls[0]), "--ssl-key", str(self.tls[1])] if self.tls else []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port), *tls],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto exited early; see {self.log_path}")
            try:
                httpx.get(f"{self.url}/moto-api/", timeout=1.0, verify=self._verify())
                return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise TimeoutError(f"moto did not answer within {timeout}s; see {self.log_path}")

    def _verify(self) -> ssl.SSLContext | bool:
        return ssl.create_default_context(cafile=self.tls[2]) if self.tls else True

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def pause(self) -> None:
        """Hang: the kernel still accepts connections, nothing answers."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def reset(self) -> None:
        httpx.post(
            f"{self.url}/moto-api/reset", timeout=10.0, verify=self._verify()
        ).raise_for_status()


def start_moto(
    log_dir: Path,
    port: int | None = None,
    tls: tuple[Path, Path, Path] | None = None,
    preload: tuple[str, ...] = (),
    **extra_env: str,
) -> MotoServer:
    return MotoServer(
        port=port or free_port(),
        log_path=log_dir / "moto.log",
        extra_env=extra_env,
        tls=tls,
        preload=preload,
    ).start()
