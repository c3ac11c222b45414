"""The floor of a content transfer: bare boto3 multipart uploads and streamed downloads
with the service's part size and client settings, N at once, against the emulator.
Prints JSON: MiB/s each way and this process's peak RSS.

Run with the service's interpreter:
`python bench/apps/boto_transfer_floor.py ENDPOINT BUCKET CONCURRENCY SIZE_BYTES PART_BYTES`.
"""

import json
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
from botocore.config import Config


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    endpoint, bucket = sys.argv[1], sys.argv[2]
    concurrency, size, part = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    config = Config(
        region_name="eu-west-1",
        connect_timeout=1.0,
        read_timeout=30.0,
        # More attempts than the service's 2: the serialised emulator drops some
        # connections under many concurrent bodies, and a floor that crashes measures
        # nothing. A retry only adds time, so this can only flatter depot, never the floor.
        retries={"mode": "standard", "total_max_attempts": 5},
        max_pool_connections=max(32, concurrency),
        s3={"addressing_style": "path"},
    )
    s3 = boto3.session.Session().client("s3", endpoint_url=endpoint, config=config)
    body = b"f" * size
    lock = threading.Lock()
    keys: list[str] = []

    failed: list[str] = []

    def upload(_: int) -> None:
        try:
            upload_one()
        except Exception as exc:
            with lock:
                failed.append(type(exc).__name__)

    def upload_one() -> None:
        # What the service does per upload: parts of PART bytes, then complete.
        key = f"floor/{uuid.uuid4().hex}"
        upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        parts = []
        for number, offset in enumerate(range(0, size, part), start=1):
            chunk = body[offset : offset + part]
            etag = s3.upload_part(
                Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=chunk
            )["ETag"]
            parts.append({"PartNumber": number, "ETag": etag})
        s3.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )
        with lock:
            keys.append(key)

    def download(key: str) -> int:
        stream = s3.get_object(Bucket=bucket, Key=key)["Body"]
        return sum(len(chunk) for chunk in stream.iter_chunks(256 * 1024))

    with ThreadPoolExecutor(concurrency) as pool:
        started = time.perf_counter()
        list(pool.map(upload, range(concurrency)))
        up = time.perf_counter() - started
        started = time.perf_counter()
        received = sum(pool.map(download, keys))
        down = time.perf_counter() - started
    mib = len(keys) * size / 2**20
    result = {
        "concurrency": concurrency,
        "upload_mib_s": round(mib / up, 1),
        "download_mib_s": round(received / 2**20 / down, 1) if keys else 0.0,
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "failed": len(failed),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
