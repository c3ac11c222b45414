"""The reconciler (`depot sweep`): S3 made to match what the table references.

In-process against the moto server, with page sizes shrunk to 2 so that every listing
needs several pages: a sweeper that reads only the first page leaves work behind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import boto3
import pytest

from depot import sweeper
from depot.config import load_settings
from depot.runtime import build_runtime

from conftest import FAKE_AWS, REGION, Depot, Moto, Stack, create, make_stack, upload


def _sweep(stack: Stack, monkeypatch: pytest.MonkeyPatch, older_than: float) -> Any:
    for name, value in {**stack.env(), **FAKE_AWS}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sweeper, "DOCUMENT_PAGE", 2)
    monkeypatch.setattr(sweeper, "OBJECT_PAGE", 2)
    runtime = build_runtime(load_settings())
    return anyio.run(sweeper.sweep, runtime, older_than)


def _s3(stack: Stack) -> Any:
    return boto3.client("s3", region_name=REGION, endpoint_url=stack.endpoint, **_keys())


def _keys() -> dict[str, str]:
    return {
        "aws_access_key_id": FAKE_AWS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": FAKE_AWS["AWS_SECRET_ACCESS_KEY"],
    }


def _objects(stack: Stack, prefix: str) -> set[str]:
    pages = _s3(stack).get_paginator("list_objects_v2").paginate(Bucket=stack.bucket, Prefix=prefix)
    return {obj["Key"] for page in pages for obj in page.get("Contents", [])}


def test_reconciler_removes_every_unreferenced_object_and_pending_document(
    moto: Moto, start_depot: Callable[..., Depot], monkeypatch: pytest.MonkeyPatch
) -> None:
    # An own table and bucket: a sweep at age 0 must not reach other tests' data.
    stack = make_stack(moto.url, ["acme"])
    acme = start_depot(stack).client(stack.keys["acme"])
    kept = create(acme, "kept")
    assert upload(acme, kept["id"], b"v1").status_code == 201
    replaced = acme.put(
        f"/v1/documents/{kept['id']}/content", content=b"v2", headers={"If-Match": '"2"'}
    )
    assert replaced.status_code == 200
    pending = [create(acme, f"pending-{n}")["id"] for n in range(5)]
    s3 = _s3(stack)
    # Orphans as an uncertain commit or a failed delete leave them: replacement uploads of
    # a live document, uploads of pending and of deleted documents.
    orphans = {f"tenants/acme/{kept['id']}/01ORPHAN{n:018d}" for n in range(3)}
    orphans |= {f"tenants/acme/{doc_id}/01ORPHAN{0:018d}" for doc_id in pending}
    orphans |= {f"tenants/acme/01M8VD0000000000000000GONE/01ORPHAN{n:018d}" for n in range(3)}
    foreign = "tenants/not-a-content-key"
    for key in orphans | {foreign}:
        s3.put_object(Bucket=stack.bucket, Key=key, Body=b"orphan")
    before = _objects(stack, f"tenants/acme/{kept['id']}/")

    young = _sweep(stack, monkeypatch, older_than=3600)
    assert (young.documents, young.objects) == (0, 0), "nothing is old enough yet"

    report = _sweep(stack, monkeypatch, older_than=0)
    assert report.documents == len(pending)
    assert report.objects == len(orphans)
    assert report.usage == {"acme": 2}, "the quota counter is recounted from references"
    for doc_id in pending:
        assert acme.get(f"/v1/documents/{doc_id}").status_code == 404
    remaining = _objects(stack, "tenants/")
    assert remaining == (before - orphans) | {foreign}
    assert len(before - orphans) == 1, "only the referenced object of the live document"
    assert acme.get(f"/v1/documents/{kept['id']}/content").content == b"v2"
