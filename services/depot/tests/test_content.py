"""Content upload and download: streaming, digests, limits, replacement, redirects."""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import threading
import time
from collections.abc import Iterator

import boto3
import httpx
import pytest

from conftest import REGION, Stack, create, make_stack, upload
from test_api import assert_problem


def digest_header(content: bytes) -> str:
    return f"sha-256=:{base64.b64encode(hashlib.sha256(content).digest()).decode()}:"


def objects_under(stack: Stack, tenant: str, doc_id: str) -> list[str]:
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=stack.endpoint)
    listed = s3.list_objects_v2(Bucket=stack.bucket, Prefix=f"tenants/{tenant}/{doc_id}/")
    return [obj["Key"] for obj in listed.get("Contents", [])]


def test_upload_then_download_round_trip_with_digest(acme: httpx.Client, stack: Stack) -> None:
    content = os.urandom(100_000)
    doc = create(acme, "blob.bin")
    response = upload(acme, doc["id"], content, **{"Content-Digest": digest_header(content)})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "available" and body["version"] == 2
    assert body["size"] == len(content)
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    download = acme.get(f"/v1/documents/{doc['id']}/content")
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["content-digest"] == digest_header(content)
    assert download.headers["etag"] == '"2"'
    assert len(objects_under(stack, "acme", doc["id"])) == 1


def test_digest_mismatch_is_400_and_leaves_nothing_readable(acme, stack: Stack) -> None:
    doc = create(acme)
    response = upload(acme, doc["id"], b"actual", **{"Content-Digest": digest_header(b"other")})
    assert_problem(response, 400, "header.Content-Digest")
    assert acme.get(f"/v1/documents/{doc['id']}").json()["status"] == "pending"
    assert_problem(acme.get(f"/v1/documents/{doc['id']}/content"), 409)
    assert objects_under(stack, "acme", doc["id"]) == []


@pytest.mark.parametrize(
    "header", ["md5=:abc:", "sha-256=abc", "sha-256=:!!notbase64!!:", "sha-256=:YWJj:"]
)
def test_malformed_content_digest_is_400(acme: httpx.Client, header: str) -> None:
    doc = create(acme)
    assert_problem(upload(acme, doc["id"], b"x", **{"Content-Digest": header}), 400)


_BLOCK = os.urandom(1024 * 1024)


def _chunks(total: int, chunk: int = 1024 * 1024) -> Iterator[bytes]:
    block = _BLOCK[:chunk]
    sent = 0
    while sent < total:
        piece = block[: min(chunk, total - sent)]
        sent += len(piece)
        yield piece


def test_large_streamed_upload_uses_multipart_and_round_trips(acme, stack: Stack) -> None:
    # 12 MiB, chunked (no Content-Length), against 5 MiB parts: three parts.
    total = 12 * 1024 * 1024
    expected = hashlib.sha256(b"".join(_chunks(total))).hexdigest()
    doc = create(acme, "big.bin")
    response = acme.put(f"/v1/documents/{doc['id']}/content", content=_chunks(total))
    assert response.status_code == 201, response.text
    assert response.json()["size"] == total
    assert response.json()["sha256"] == expected
    digest = hashlib.sha256()
    size = 0
    with acme.stream("GET", f"/v1/documents/{doc['id']}/content") as download:
        for piece in download.iter_bytes():
            digest.update(piece)
            size += len(piece)
    assert size == total and digest.hexdigest() == expected


def test_oversize_content_is_413_whether_declared_or_streamed(start_depot, stack: Stack) -> None:
    small = start_depot(stack, DEPOT_MAX_CONTENT_BYTES="1000")
    client = small.client(stack.keys["acme"])
    declared = create(client)
    assert_problem(upload(client, declared["id"], b"x" * 1001), 413)
    streamed = create(client)
    response = client.put(
        f"/v1/documents/{streamed['id']}/content", content=iter([b"x" * 600, b"x" * 600])
    )
    assert_problem(response, 413)
    assert client.get(f"/v1/documents/{streamed['id']}").json()["status"] == "pending"
    assert objects_under(stack, "acme", streamed["id"]) == []
    assert upload(client, declared["id"], b"x" * 1000).status_code == 201


def test_replacing_available_content_requires_if_match(acme, stack: Stack) -> None:
    doc = create(acme)
    url = f"/v1/documents/{doc['id']}/content"
    assert upload(acme, doc["id"], b"first").status_code == 201
    assert_problem(acme.put(url, content=b"second"), 428)
    assert_problem(acme.put(url, content=b"second", headers={"If-Match": '"1"'}), 412)
    replaced = acme.put(url, content=b"second", headers={"If-Match": '"2"'})
    assert replaced.status_code == 200 and replaced.json()["version"] == 3
    assert acme.get(url).content == b"second"
    assert len(objects_under(stack, "acme", doc["id"])) == 1, "the old object is removed"


def test_redirect_gives_a_working_presigned_url(acme: httpx.Client) -> None:
    doc = create(acme, content_type="text/plain")
    assert upload(acme, doc["id"], b"via s3").status_code == 201
    response = acme.get(f"/v1/documents/{doc['id']}/content", params={"redirect": "true"})
    assert response.status_code == 307
    location = response.headers["location"]
    assert "X-Amz-Signature" in location or "Signature" in location
    assert httpx.get(location).content == b"via s3"


def test_content_type_is_served_verbatim(acme: httpx.Client) -> None:
    doc = create(acme, content_type="text/csv")
    upload(acme, doc["id"], b"a,b\n")
    assert acme.get(f"/v1/documents/{doc['id']}/content").headers["content-type"] == "text/csv"


def test_slow_body_gets_408_within_the_deadline(start_depot, stack: Stack) -> None:
    slow = start_depot(stack, DEPOT_BODY_TIMEOUT_SECONDS="1")
    client = slow.client(stack.keys["acme"])
    doc = create(client)
    # Slowloris: declare a body and trickle it, one byte every 0.4 s.
    with socket.create_connection(("127.0.0.1", slow.port), timeout=10) as sock:
        sock.sendall(
            (
                f"PUT /v1/documents/{doc['id']}/content HTTP/1.1\r\nHost: x\r\n"
                f"Authorization: Bearer {stack.keys['acme']}\r\nContent-Length: 100\r\n\r\n"
            ).encode()
        )
        started = time.monotonic()
        response = b""
        for _ in range(20):
            try:
                sock.sendall(b"x")
            except OSError:
                break
            sock.settimeout(0.4)
            try:
                response += sock.recv(4096)
            except TimeoutError:
                continue
            if response:
                break
        elapsed = time.monotonic() - started
    assert response.startswith(b"HTTP/1.1 408"), response[:200]
    assert elapsed < 5, "the deadline bounds how long a slow client holds the request"
    assert client.get(f"/v1/documents/{doc['id']}").json()["status"] == "pending"


def test_slow_json_body_gets_408(start_depot, stack: Stack) -> None:
    slow = start_depot(stack, DEPOT_BODY_TIMEOUT_SECONDS="1")
    with socket.create_connection(("127.0.0.1", slow.port), timeout=10) as sock:
        sock.sendall(
            (
                "POST /v1/documents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Authorization: Bearer {stack.keys['acme']}\r\nContent-Length: 50\r\n\r\n{{"
            ).encode()
        )
        sock.settimeout(5)
        assert sock.recv(4096).startswith(b"HTTP/1.1 408")


def test_uploads_beyond_the_slots_get_503_with_retry_after_at_once(start_depot, stack) -> None:
    own = start_depot(stack, DEPOT_UPLOAD_SLOTS="1")
    client = own.client(stack.keys["acme"])
    slow_doc, other_doc = create(client, "slow"), create(client, "other")
    gate = threading.Event()

    def slow_body() -> Iterator[bytes]:
        yield b"x" * 1000
        gate.wait(10)
        yield b"y" * 1000

    results: dict[str, int] = {}

    def slow_upload() -> None:
        url = f"/v1/documents/{slow_doc['id']}/content"
        results["slow"] = client.put(url, content=slow_body()).status_code

    worker = threading.Thread(target=slow_upload)
    worker.start()
    try:
        time.sleep(0.7)  # the slow upload holds the only slot
        started = time.monotonic()
        refused = client.put(f"/v1/documents/{other_doc['id']}/content", content=b"z")
        assert time.monotonic() - started < 2, "refused at once, not queued"
        assert_problem(refused, 503)
        assert refused.json()["type"] == "/problems/overloaded"
        assert refused.headers["Retry-After"].isdigit()
    finally:
        gate.set()
        worker.join(timeout=20)
    assert results["slow"] == 201
    assert upload(client, other_doc["id"], b"z").status_code == 201, "the slot came back"


def test_head_conditional_get_and_ranges_on_content(acme) -> None:
    body = bytes(range(256)) * 40  # 10,240 bytes
    doc = create(acme, "range.bin")
    assert upload(acme, doc["id"], body).status_code == 201
    url = f"/v1/documents/{doc['id']}/content"

    head = acme.head(url)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(body))
    assert head.headers["etag"] == '"2"' and head.headers["accept-ranges"] == "bytes"

    assert acme.get(url, headers={"If-None-Match": '"2"'}).status_code == 304
    assert acme.get(url, headers={"If-None-Match": 'W/"2", "9"'}).status_code == 304
    assert acme.get(url, headers={"If-None-Match": '"1"'}).content == body

    cases = {"bytes=0-9": (0, 9), "bytes=10200-": (10200, 10239), "bytes=-5": (10235, 10239),
             "bytes=10230-99999": (10230, 10239)}  # fmt: skip
    for header, (first, last) in cases.items():
        part = acme.get(url, headers={"Range": header})
        assert part.status_code == 206, header
        assert part.headers["content-range"] == f"bytes {first}-{last}/{len(body)}"
        assert part.content == body[first : last + 1], header
    refused = acme.get(url, headers={"Range": "bytes=10240-"})
    assert_problem(refused, 416)
    assert refused.headers["content-range"] == f"bytes */{len(body)}"
    # A multi-range or malformed header may be ignored: the whole content, 200.
    assert acme.get(url, headers={"Range": "bytes=0-1,5-6"}).content == body


def test_tenant_html_is_an_attachment_never_rendered_inline(acme) -> None:
    doc = create(acme, 'résumé "final".html', content_type="text/html")
    assert upload(acme, doc["id"], b"<script>alert(1)</script>").status_code == 201
    got = acme.get(f"/v1/documents/{doc['id']}/content")
    assert got.headers["x-content-type-options"] == "nosniff"
    disposition = got.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.html" in disposition
    redirect = acme.get(f"/v1/documents/{doc['id']}/content", params={"redirect": "true"})
    assert redirect.status_code == 307
    assert "response-content-disposition=attachment" in redirect.headers["location"]


def test_tenant_storage_quota_refuses_content_that_does_not_fit(start_depot, moto) -> None:
    own_stack = make_stack(moto.url, ["acme"])
    own = start_depot(own_stack, DEPOT_TENANT_QUOTA_BYTES="1000")
    client = own.client(own_stack.keys["acme"])
    first, second = create(client, "first"), create(client, "second")
    assert upload(client, first["id"], b"a" * 600).status_code == 201
    refused = upload(client, second["id"], b"b" * 600)
    assert_problem(refused, 413)
    assert refused.json()["type"] == "/problems/quota-exceeded"
    assert client.get(f"/v1/documents/{second['id']}").json()["status"] == "pending"
    assert upload(client, second["id"], b"b" * 400).status_code == 201, "what fits is stored"
    # A replacement counts the difference; a delete gives the bytes back.
    assert client.delete(f"/v1/documents/{first['id']}").status_code == 204
    assert upload(client, create(client, "third")["id"], b"c" * 600).status_code == 201
