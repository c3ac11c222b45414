"""kill -9 during content uploads: no document is ever `available` without its full
content and matching hash; interrupted uploads stay `pending`, and the sweeper
(`depot sweep`, scheduled by the chart as a CronJob) removes them and their objects.

Each round streams several uploads slowly (multipart and single-PUT sizes, first uploads
and replacements of available content), then SIGKILLs the replica at a different point:
before, during and after the bodies complete, so some kills land between S3 and the
DynamoDB commit.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import httpx
import pytest

from tests.reliability.procs import (
    FAKE_AWS,
    REGION,
    RecordProperty,
    Replica,
    Resources,
    depot_cli,
)

PART = 5 * 1024 * 1024  # S3's smallest part: multipart from 5 MiB on
CHUNK = 256 * 1024
STREAM_SECONDS = 2.5  # each upload's body takes about this long to send
# One round per kill point (seconds after the uploads start); None: kill only once every
# upload was answered, so acknowledged uploads are checked in every run too.
KILL_AFTER: tuple[float | None, ...] = (0.4, 1.5, 2.6, 3.2, 4.0, None)
SIZES = {"multipart": 2 * PART + 12345, "single": 900_000}


def _content(seed: str, size: int) -> bytes:
    block = hashlib.sha256(seed.encode()).digest() * (CHUNK // 32)
    return (block * (size // len(block) + 1))[:size]


@dataclass
class Upload:
    doc_id: str
    body: bytes
    if_match: str | None = None
    with_digest: bool = True
    status: int | None = None  # the client's answer; None when the connection died

    def chunks(self) -> Iterator[bytes]:
        pause = STREAM_SECONDS / max(len(self.body) // CHUNK, 1)
        for start in range(0, len(self.body), CHUNK):
            yield self.body[start : start + CHUNK]
            time.sleep(pause)


@dataclass
class Ledger:
    """Every content a document may legitimately show: its previous and its new one."""

    allowed: dict[str, set[str]] = field(default_factory=dict)
    acked: dict[str, str] = field(default_factory=dict)  # doc -> sha256 answered 200
    contents: dict[str, bytes] = field(default_factory=dict)  # sha256 -> bytes


def _send(replica: Replica, key: str, upload: Upload) -> None:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/octet-stream"}
    if upload.if_match:
        headers["If-Match"] = upload.if_match
    if upload.with_digest:
        digest = base64.b64encode(hashlib.sha256(upload.body).digest()).decode()
        headers["Content-Digest"] = f"sha-256=:{digest}:"
    try:
        response = httpx.put(
            f"{replica.url}/v1/documents/{upload.doc_id}/content",
            content=upload.chunks(),
            headers=headers,
            timeout=30,
        )
        upload.status = response.status_code
    except httpx.HTTPError:
        upload.status = None


def _round(replica: Replica, key: str, ledger: Ledger, kill_after: float | None, n: int) -> None:
    client = httpx.Client(base_url=replica.url, headers={"Authorization": f"Bearer {key}"})
    with client:
        ids = []
        for name in ("multipart", "single", "replace"):
            created = client.post("/v1/documents", json={"name": f"r{n}-{name}"})
            assert created.status_code == 201, created.text
            ids.append(created.json()["id"])
        # The third document already has content: its replacement races the kill.
        old = _content(f"r{n}-old", 70_000)
        put = client.put(
            f"/v1/documents/{ids[2]}/content",
            content=old,
            headers={"Content-Type": "application/octet-stream"},
        )
        assert put.status_code == 201, put.text
        ledger.contents[hashlib.sha256(old).hexdigest()] = old
    uploads = [
        Upload(ids[0], _content(f"r{n}-a", SIZES["multipart"])),
        Upload(ids[1], _content(f"r{n}-b", SIZES["single"]), with_digest=False),
        Upload(ids[2], _content(f"r{n}-c", SIZES["multipart"]), if_match='"2"'),
    ]
    for upload, doc_id in zip(uploads, ids, strict=True):
        new = hashlib.sha256(upload.body).hexdigest()
        ledger.contents[new] = upload.body
        previous = {hashlib.sha256(old).hexdigest()} if upload.if_match else set()
        ledger.allowed[doc_id] = {new} | previous
    threads = [threading.Thread(target=_send, args=(replica, key, u)) for u in uploads]
    for thread in threads:
        thread.start()
    if kill_after is not None:
        time.sleep(kill_after)
        replica.kill()
    for thread in threads:
        thread.join(timeout=60)
    replica.kill()
    for upload in uploads:
        if upload.status in (200, 201):
            ledger.acked[upload.doc_id] = hashlib.sha256(upload.body).hexdigest()


def _check_documents(replica: Replica, key: str, ledger: Ledger) -> dict[str, str]:
    """Status of each document; fails on any available document with wrong content."""
    statuses = {}
    with httpx.Client(base_url=replica.url, headers={"Authorization": f"Bearer {key}"}) as client:
        for doc_id, allowed in ledger.allowed.items():
            meta = client.get(f"/v1/documents/{doc_id}")
            if meta.status_code == 404:
                statuses[doc_id] = "gone"
                continue
            assert meta.status_code == 200, meta.text
            document = meta.json()
            statuses[doc_id] = document["status"]
            content = client.get(f"/v1/documents/{doc_id}/content", timeout=30)
            if document["status"] != "available":
                assert content.status_code == 409, f"{doc_id}: pending content served"
                assert doc_id not in ledger.acked, f"{doc_id}: acknowledged upload lost"
                continue
            assert content.status_code == 200
            got = hashlib.sha256(content.content).hexdigest()
            assert got in allowed, f"{doc_id}: available with partial or foreign content"
            assert document["sha256"] == got, f"{doc_id}: stored hash does not match content"
            assert document["size"] == len(ledger.contents[got])
            if doc_id in ledger.acked:
                assert got == ledger.acked[doc_id], f"{doc_id}: acknowledged upload lost"
    return statuses


def _objects_under(resources: Resources, prefix: str) -> list[str]:
    s3 = boto3.client(
        "s3", endpoint_url=resources.endpoint, region_name=REGION,
        aws_access_key_id=FAKE_AWS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_AWS["AWS_SECRET_ACCESS_KEY"],
    )  # fmt: skip
    listed = s3.list_objects_v2(Bucket=resources.bucket, Prefix=prefix)
    return [item["Key"] for item in listed.get("Contents", [])]


@pytest.mark.slow
def test_kill_9_during_uploads_never_publishes_partial_content(
    tmp_path: Path, resources: Resources, record_property: RecordProperty
) -> None:
    env = {
        **resources.env(),
        "DEPOT_MULTIPART_PART_BYTES": str(PART),
        "DEPOT_LOG_LEVEL": "WARNING",
    }
    key = resources.keys["acme"]
    ledger = Ledger()
    replica = Replica("uploads", env, tmp_path)
    try:
        for n, kill_after in enumerate(KILL_AFTER):
            replica = Replica(f"uploads-{n}", env, tmp_path).start()
            _round(replica, key, ledger, kill_after, n)
        replica = Replica("after", env, tmp_path).start()
        statuses = _check_documents(replica, key, ledger)
        pending = [doc for doc, status in statuses.items() if status == "pending"]
        record_property("uploads_killed_pending", len(pending))
        record_property("uploads_available", list(statuses.values()).count("available"))
        record_property("uploads_acknowledged", len(ledger.acked))
        assert pending, "no kill interrupted an upload: the rounds prove nothing"
        assert ledger.acked, "no upload was acknowledged: the acknowledged path went unchecked"

        swept = depot_cli(["sweep", "--older-than", "0"], {**env, **FAKE_AWS})
        print(f"statuses: {statuses}; sweep: {swept.strip()}")
        after = _check_documents(replica, key, ledger)
    finally:
        replica.stop()
    for doc_id, status in statuses.items():
        if status == "pending":
            assert after[doc_id] == "gone", f"{doc_id}: the sweeper left it"
            assert _objects_under(resources, f"tenants/acme/{doc_id}/") == []
        else:
            assert after[doc_id] == status, f"{doc_id}: the sweeper touched a live document"
