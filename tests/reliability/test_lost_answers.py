"""Writes whose answer is lost: applied by AWS, then the response dropped or delayed past
the service's read timeout, so botocore's retry meets its own first attempt.

For each write of the service (create, idempotency claim and completion, content commit,
metadata patch, delete) the request's answer must be the outcome that is stored, the
client's retry must get the right answer, the document and its content must stay
consistent, and after the reconciler (`depot sweep`) S3 must hold exactly the objects the
table references: nothing lost, nothing wrongly deleted, nothing orphaned.
(docs/adr/0006-uncertain-outcomes-re-read-and-reconcile.md states the rule.)
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import httpx
import pytest

from tests.reliability.faultproxy import Fault, FaultProxy
from tests.reliability.procs import (
    FAKE_AWS,
    REGION,
    Emulator,
    Replica,
    Resources,
    depot_cli,
)

READ_TIMEOUT = 1.0
# Past the read timeout: botocore gives up on attempt 1 (already applied) and retries.
DELAY = READ_TIMEOUT + 0.7
MODES = ["drop", "delay"]
TENANT = "acme"


@dataclass
class Setup:
    proxy: FaultProxy
    replica: Replica
    resources: Resources
    client: httpx.Client


@pytest.fixture(scope="module")
def setup(
    tmp_path_factory: pytest.TempPathFactory, emulator: Emulator, resources: Resources
) -> Iterator[Setup]:
    proxy = FaultProxy(emulator.url).start()
    env = {
        **resources.env(endpoint=proxy.url),
        "DEPOT_AWS_CONNECT_TIMEOUT_SECONDS": "0.5",
        "DEPOT_AWS_READ_TIMEOUT_SECONDS": str(READ_TIMEOUT),
        "DEPOT_AWS_MAX_ATTEMPTS": "3",
        "DEPOT_MULTIPART_PART_BYTES": str(5 * 1024 * 1024),
        "DEPOT_LOG_LEVEL": "WARNING",
    }
    replica = Replica("lost-answers", env, tmp_path_factory.mktemp("lost")).start()
    headers = {"Authorization": f"Bearer {resources.keys[TENANT]}"}
    client = httpx.Client(base_url=replica.url, headers=headers, timeout=30)
    try:
        yield Setup(proxy, replica, resources, client)
    finally:
        client.close()
        replica.stop()
        proxy.stop()


@pytest.fixture
def lose(setup: Setup) -> Iterator[Any]:
    """Aim a one-shot lost answer at the next matching write; checks it was injected."""
    aimed: list[Fault] = []

    def aim(mode: str, backend: str, operations: set[str], body_contains: bytes) -> None:
        fault = Fault(
            mode,  # type: ignore[arg-type]
            frozenset({backend}),
            operations=frozenset(operations),
            body_contains=body_contains,
            limit=1,
            delay_seconds=DELAY,
        )
        aimed.append(fault)
        setup.proxy.set_fault(fault)

    yield aim
    injected = setup.proxy.injections
    setup.proxy.set_fault(None)
    assert not aimed or injected == 1, "the lost answer was never injected: the test is void"


def _create(client: httpx.Client, name: str, key: str | None = None) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post("/v1/documents", json={"name": name}, headers=headers)


def _named(client: httpx.Client, name: str) -> list[dict[str, Any]]:
    page = client.get("/v1/documents", params={"limit": 100}).json()
    return [item for item in page["items"] if item["name"] == name]


def _aws(resources: Resources, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=resources.endpoint,
        region_name=REGION,
        aws_access_key_id=FAKE_AWS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_AWS["AWS_SECRET_ACCESS_KEY"],
    )


def _reconcile_then_check(setup: Setup) -> None:
    """Run the reconciler; then every available document's object exists and every object
    is referenced by a document (read directly from the emulator, not through depot)."""
    resources = setup.resources
    env = {**resources.env(), **FAKE_AWS, "DEPOT_LOG_LEVEL": "WARNING"}
    depot_cli(["sweep", "--older-than", "0"], env)
    ddb = _aws(resources, "dynamodb")
    referenced: set[str] = set()
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": resources.table}
    for _ in range(1000):
        page = ddb.scan(**request)
        items += page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            break
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    for item in items:
        if item["sk"]["S"].startswith("DOC#") and item["status"]["S"] == "available":
            referenced.add(item["content_key"]["S"])
    s3 = _aws(resources, "s3")
    stored: set[str] = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=resources.bucket):
        stored |= {obj["Key"] for obj in page.get("Contents", [])}
    assert referenced - stored == set(), "content lost: documents point at missing objects"
    assert stored - referenced == set(), "orphans left after the reconciler ran"


def _upload(client: httpx.Client, doc_id: str, body: bytes, if_match: str | None = None) -> Any:
    headers = {"Content-Type": "application/octet-stream"}
    if if_match:
        headers["If-Match"] = if_match
    return client.put(f"/v1/documents/{doc_id}/content", content=body, headers=headers)


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_create_whose_answer_is_lost_answers_201_once(setup: Setup, lose: Any, mode: str) -> None:
    name = f"create-{mode}-{uuid.uuid4().hex[:6]}"
    key = uuid.uuid4().hex
    lose(mode, "dynamodb", {"PutItem", "TransactWriteItems"}, b'"DOC#')
    first = _create(setup.client, name, key)
    assert first.status_code == 201, f"an applied create must answer 201: {first.text}"
    retry = _create(setup.client, name, key)
    assert retry.status_code == 201, retry.text
    assert retry.json()["id"] == first.json()["id"], "the retry must replay the same document"
    assert [d["id"] for d in _named(setup.client, name)] == [first.json()["id"]]
    _reconcile_then_check(setup)


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_create_without_key_whose_answer_is_lost_answers_201(
    setup: Setup, lose: Any, mode: str
) -> None:
    name = f"plain-{mode}-{uuid.uuid4().hex[:6]}"
    lose(mode, "dynamodb", {"PutItem", "TransactWriteItems"}, b'"DOC#')
    first = _create(setup.client, name)
    assert first.status_code == 201, f"an applied create must answer 201: {first.text}"
    assert [d["id"] for d in _named(setup.client, name)] == [first.json()["id"]]


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_idempotency_claim_whose_answer_is_lost_is_recognised_as_ours(
    setup: Setup, lose: Any, mode: str
) -> None:
    name = f"claim-{mode}-{uuid.uuid4().hex[:6]}"
    key = uuid.uuid4().hex
    lose(mode, "dynamodb", {"PutItem"}, b"IDEMPOTENCY#")
    first = _create(setup.client, name, key)
    assert first.status_code == 201, f"the claim's own retry is not a conflict: {first.text}"
    retry = _create(setup.client, name, key)
    assert retry.status_code == 201 and retry.json()["id"] == first.json()["id"], retry.text
    assert len(_named(setup.client, name)) == 1


@pytest.mark.slow
def test_failed_idempotency_completion_never_leaves_a_ghost(setup: Setup) -> None:
    """The write that records the answer fails outright (both attempts): the create must
    not be half done. The retry with the same key then creates exactly one document."""
    name = f"complete-{uuid.uuid4().hex[:6]}"
    key = uuid.uuid4().hex
    setup.proxy.set_fault(
        Fault("500", frozenset({"dynamodb"}), body_contains=b'"completed"', limit=3)
    )
    try:
        first = _create(setup.client, name, key)
    finally:
        setup.proxy.set_fault(None)
    assert first.status_code in (201, 503), first.text
    retry = _create(setup.client, name, key)
    assert retry.status_code == 201, f"the retry must not wait out a lease: {retry.text}"
    documents = _named(setup.client, name)
    assert [d["id"] for d in documents] == [retry.json()["id"]], "exactly one document"
    if first.status_code == 201:
        assert first.json()["id"] == retry.json()["id"]


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("replacement", [False, True], ids=["first", "replacement"])
def test_content_commit_whose_answer_is_lost_keeps_the_content(
    setup: Setup, lose: Any, mode: str, replacement: bool
) -> None:
    doc = _create(setup.client, f"commit-{mode}").json()
    if_match = None
    if replacement:
        assert _upload(setup.client, doc["id"], b"old content").status_code in (200, 201)
        if_match = '"2"'
    body = os.urandom(200_000)
    lose(mode, "dynamodb", {"UpdateItem"}, b"content_key")
    put = _upload(setup.client, doc["id"], body, if_match)
    assert put.status_code == (200 if replacement else 201), put.text
    assert put.json()["sha256"] == hashlib.sha256(body).hexdigest()
    stored = setup.client.get(f"/v1/documents/{doc['id']}")
    assert stored.json()["status"] == "available"
    got = setup.client.get(f"/v1/documents/{doc['id']}/content")
    assert got.status_code == 200 and got.content == body, "committed content was deleted"
    # The client's retry (it never saw the answer) meets the version it created: 412.
    retry = _upload(setup.client, doc["id"], body, if_match or '"1"')
    assert retry.status_code == 412, retry.text
    _reconcile_then_check(setup)
    assert setup.client.get(f"/v1/documents/{doc['id']}/content").content == body


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_patch_whose_answer_is_lost_answers_the_update(setup: Setup, lose: Any, mode: str) -> None:
    doc = _create(setup.client, f"patch-{mode}").json()
    lose(mode, "dynamodb", {"UpdateItem"}, b"#metadata")
    patched = setup.client.patch(
        f"/v1/documents/{doc['id']}",
        json={"metadata": {"k": "v"}},
        headers={"If-Match": '"1"', "Content-Type": "application/merge-patch+json"},
    )
    assert patched.status_code == 200, f"an applied patch must answer 200: {patched.text}"
    assert patched.json()["version"] == 2 and patched.json()["metadata"] == {"k": "v"}
    assert setup.client.get(f"/v1/documents/{doc['id']}").json()["version"] == 2


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("if_match", [None, '"2"'], ids=["unconditional", "if-match"])
def test_delete_whose_answer_is_lost_answers_204_and_removes_the_content(
    setup: Setup, lose: Any, mode: str, if_match: str | None
) -> None:
    doc = _create(setup.client, f"delete-{mode}").json()
    assert _upload(setup.client, doc["id"], b"to be deleted").status_code in (200, 201)
    lose(mode, "dynamodb", {"DeleteItem"}, b'"DOC#')
    headers = {"If-Match": if_match} if if_match else {}
    deleted = setup.client.delete(f"/v1/documents/{doc['id']}", headers=headers)
    assert deleted.status_code == 204, f"a delete that happened must answer 204: {deleted.text}"
    assert setup.client.get(f"/v1/documents/{doc['id']}").status_code == 404
    s3 = _aws(setup.resources, "s3")
    prefix = f"tenants/{TENANT}/{doc['id']}/"
    listed = s3.list_objects_v2(Bucket=setup.resources.bucket, Prefix=prefix)
    assert listed.get("KeyCount", 0) == 0, "the deleted document's content was left behind"
    retry = setup.client.delete(f"/v1/documents/{doc['id']}", headers=headers)
    assert retry.status_code == 404, retry.text
    _reconcile_then_check(setup)
