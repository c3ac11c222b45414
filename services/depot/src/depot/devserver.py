"""`make run`: the real service against a throwaway AWS emulator on loopback.

The code path is production's; only the endpoint differs. The emulator lives in this
process and is gone on exit: nothing persists between runs.
"""

from __future__ import annotations

import logging
import os
import socket
import sys

from depot.devstack import provision
from depot.emulator import start_in_thread


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    region = os.environ.setdefault("AWS_REGION", "eu-west-1")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    # The emulator's per-request lines would drown the service's own logs.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = _free_port()
    stop_emulator = start_in_thread("127.0.0.1", port)
    endpoint = f"http://127.0.0.1:{port}"
    preset = os.environ.get("DEPOT_DEV_API_KEY")
    names = provision(
        endpoint, region, "depot-local-documents", "depot-local-content", "depot/local/api-keys",
        ["local"], keys={"local": preset} if preset else None,
    )  # fmt: skip
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "DEPOT_TABLE_NAME": names["table"],
            "DEPOT_BUCKET_NAME": names["bucket"],
            "DEPOT_KEYS_SECRET_ID": names["secret_id"],
            "DEPOT_KEYS_REFRESH_SECONDS": os.environ.get("DEPOT_KEYS_REFRESH_SECONDS", "5"),
        }
    )
    listen = os.environ.get("PORT", "8080")
    print(
        f"depot: emulator at {endpoint} (ephemeral)\n"
        f"depot: serving on http://127.0.0.1:{listen}  docs: http://127.0.0.1:{listen}/docs\n"
        f"depot: tenant 'local' API key: {names['keys']['local']}",
        file=sys.stderr,
        flush=True,
    )
    from depot.cli import serve

    try:
        os.environ.setdefault("DEPOT_HOST", "127.0.0.1")
        serve()
    finally:
        stop_emulator()


if __name__ == "__main__":
    main()
