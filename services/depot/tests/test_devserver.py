"""`make run`: the service against a throwaway emulator, with the local tenant's key."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx

from conftest import free_port, wait_until

DEV_KEY = "dpt_local_development_key_for_the_test_0001"


def test_dev_server_serves_with_the_preset_key_and_stops_on_ctrl_c(tmp_path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEPOT_", "AWS_"))}
    env.update({"PORT": str(port), "DEPOT_DEV_API_KEY": DEV_KEY})
    log = tmp_path / "dev.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "depot.devserver"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            assert process.poll() is None, log.read_text()
            try:
                return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        # A bound, not a speed check (make bench measures start-up): the emulator and the
        # service import boto3 and moto, which took over 30 s on a loaded 2-core machine.
        wait_until(ready, 90, "the dev server")
        headers = {"Authorization": f"Bearer {DEV_KEY}"}
        created = httpx.post(f"{url}/v1/documents", json={"name": "local"}, headers=headers)
        assert created.status_code == 201, created.text
        assert httpx.get(f"{url}/docs").status_code == 200
        assert "(ephemeral)" in log.read_text()
        process.send_signal(signal.SIGINT)  # Ctrl-C: drain, then stop server and emulator
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
