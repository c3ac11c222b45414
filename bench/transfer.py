"""Content throughput and memory: depot's upload and download MiB/s and peak RSS at 1, 8,
32 and 64 concurrent transfers, beside the same-run floor of bare boto3 multipart
uploads and downloads of the same objects (bench/apps/boto_transfer_floor.py).

depot runs with the prod memory limit's upload slots (768 MiB, docs/adr/0007), so at
high concurrency some uploads are refused (503 `overloaded`): counted, not hidden.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from bench.procstat import rss_mib
from bench.servers import SERVER_CORE
from tests.reliability.procs import DEPOT_PYTHON, Replica, Resources
from tests.support.tools import ROOT

CONCURRENCY = (1, 8, 32, 64)
SIZE = 12 * 1024 * 1024  # two parts: the multipart path, as large uploads take
PART = 8 * 1024 * 1024
CHUNK = b"d" * (256 * 1024)
PROD_MEMORY_LIMIT = 768 * 1024 * 1024


def transfer_env(resources: Resources) -> dict[str, str]:
    return {
        **resources.env(),
        "DEPOT_LOG_LEVEL": "WARNING",
        "DEPOT_MEMORY_LIMIT_BYTES": str(PROD_MEMORY_LIMIT),
        "DEPOT_MULTIPART_PART_BYTES": str(PART),
        "DEPOT_AWS_READ_TIMEOUT_SECONDS": "30",  # the emulator is slow under this load
        "DEPOT_TENANT_RATE_PER_SECOND": "0",
    }


class PeakRss:
    """Samples a process's RSS every 50 ms while in use; `.peak` in MiB."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        for _ in range(100_000):
            self.peak = max(self.peak, rss_mib(self.pid))
            if self._stop.wait(0.05):
                return

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def _body() -> Iterator[bytes]:
    for _ in range(SIZE // len(CHUNK)):
        yield CHUNK


def depot_level(replica: Replica, key: str, concurrency: int) -> dict[str, Any]:
    auth = {"Authorization": f"Bearer {key}"}
    assert replica.process is not None
    with httpx.Client(base_url=replica.url, headers=auth, timeout=120) as client:
        ids = [client.post("/v1/documents", json={"name": "t"}).json()["id"]
               for _ in range(concurrency)]  # fmt: skip

    def upload(doc_id: str) -> int:
        with httpx.Client(base_url=replica.url, headers=auth, timeout=300) as c:
            try:
                return c.put(f"/v1/documents/{doc_id}/content", content=_body()).status_code
            except httpx.TransportError:
                return 503  # refused before the body was read (see the container test)

    def download(doc_id: str) -> int:
        with (
            httpx.Client(base_url=replica.url, headers=auth, timeout=300) as c,
            c.stream("GET", f"/v1/documents/{doc_id}/content") as response,
        ):
            return sum(len(chunk) for chunk in response.iter_bytes(256 * 1024))

    with PeakRss(replica.process.pid) as rss, ThreadPoolExecutor(concurrency) as pool:
        started = time.perf_counter()
        statuses = list(pool.map(upload, ids))
        up = time.perf_counter() - started
        stored = [doc for doc, status in zip(ids, statuses, strict=True) if status == 201]
        started = time.perf_counter()
        received = sum(pool.map(download, stored))
        down = time.perf_counter() - started
    return {
        "concurrency": concurrency,
        "stored": len(stored),
        "refused_503": statuses.count(503),
        "upload_mib_s": round(len(stored) * SIZE / 2**20 / up, 1),
        "download_mib_s": round(received / 2**20 / down, 1) if stored else 0.0,
        "peak_rss_mib": round(rss.peak, 1),
    }


def boto_level(resources: Resources, concurrency: int) -> dict[str, Any]:
    script = ROOT / "bench" / "apps" / "boto_transfer_floor.py"
    sizes = [str(concurrency), str(SIZE), str(PART)]
    argv = ["taskset", "-c", str(SERVER_CORE), str(DEPOT_PYTHON), str(script),
            resources.endpoint, resources.bucket, *sizes]  # fmt: skip
    out = subprocess.run(
        argv, capture_output=True, text=True, check=False, timeout=900,
        env={"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"},
    )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"the boto3 floor failed: {out.stderr[-2000:]}")
    return dict(json.loads(out.stdout))


def run(resources: Resources, work: Path) -> dict[str, Any]:
    replica = Replica("transfer", transfer_env(resources), work).start(taskset=str(SERVER_CORE))
    out: dict[str, Any] = {"object_mib": SIZE / 2**20, "part_mib": PART / 2**20, "levels": []}
    try:
        for concurrency in CONCURRENCY:
            depot = depot_level(replica, resources.keys["acme"], concurrency)
            floor = boto_level(resources, concurrency)
            out["levels"].append({"depot": depot, "boto3_floor": floor})
            print(f"  {concurrency} at once: depot up {depot['upload_mib_s']} MiB/s "
                  f"(floor {floor['upload_mib_s']}), down {depot['download_mib_s']} "
                  f"(floor {floor['download_mib_s']}), peak RSS {depot['peak_rss_mib']} MiB, "
                  f"refused {depot['refused_503']}", flush=True)  # fmt: skip
    finally:
        replica.stop()
    return out


def table(transfer: dict[str, Any]) -> list[str]:
    lines = [
        "",
        f"## Content transfer ({transfer['object_mib']:.0f} MiB objects, "
        f"{transfer['part_mib']:.0f} MiB parts; prod memory limit's upload slots)",
        "",
        "| at once | depot up MiB/s | floor up | depot down MiB/s | floor down "
        "| depot peak RSS MiB | floor peak RSS | stored | refused 503 | floor failed |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for level in transfer["levels"]:
        d, f = level["depot"], level["boto3_floor"]
        lines.append(
            f"| {d['concurrency']} | {d['upload_mib_s']} | {f['upload_mib_s']} "
            f"| {d['download_mib_s']} | {f['download_mib_s']} | {d['peak_rss_mib']} "
            f"| {f['peak_rss_mib']} | {d['stored']} | {d['refused_503']} | {f['failed']} |"
        )
    return lines


def main() -> None:
    """`python -m bench.transfer`: this section alone, against a fresh emulator."""
    import tempfile

    from tests.reliability.procs import Emulator, provision

    with tempfile.TemporaryDirectory(prefix="depot-transfer-") as tmp:
        emulator = Emulator(Path(tmp)).start()
        try:
            result = run(provision(emulator.url, ["acme"]), Path(tmp))
        finally:
            emulator.stop()
    print("\n".join(table(result)))


if __name__ == "__main__":
    main()
