"""The metadata API over HTTP against moto: CRUD, concurrency, idempotency, pagination,
tenant isolation and error shapes."""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import httpx
import pytest

from conftest import REGION, Stack, create, upload

PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["type"].startswith("/problems/")
    if field is not None:
        assert field in [error["field"] for error in body.get("errors", [])], body
    return body


def test_create_returns_201_location_etag_and_pending_document(acme: httpx.Client) -> None:
    response = acme.post(
        "/v1/documents",
        json={"name": "report.pdf", "content_type": "application/pdf", "metadata": {"a": "1"}},
    )
    assert response.status_code == 201
    doc = response.json()
    assert response.headers["location"] == f"/v1/documents/{doc['id']}"
    assert response.headers["etag"] == '"1"'
    assert doc["status"] == "pending" and doc["version"] == 1
    # No content yet, so nothing the verifier (services/verifier) could have checked.
    assert doc["integrity"] == {"status": "unverified", "checked_at": None}
    assert doc["size"] is None and doc["sha256"] is None
    assert doc["metadata"] == {"a": "1"}
    fetched = acme.get(response.headers["location"])
    assert fetched.status_code == 200 and fetched.json() == doc
    assert fetched.headers["etag"] == '"1"'


def test_list_is_newest_first_with_a_stable_cursor(depot, stack: Stack) -> None:
    client = depot.client(stack.keys["globex"])
    created = [create(client, f"page-{i}")["id"] for i in range(7)]
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/documents", params=params).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        # A document created mid-iteration is newer than every cursor: it must not shift pages.
        create(client, "late arrival")
        if cursor is None:
            break
    mine = [doc_id for doc_id in seen if doc_id in created]
    assert mine == list(reversed(created))
    assert len(seen) == len(set(seen)), "no document twice"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "query.limit"),
        ({"limit": 101}, "query.limit"),
        ({"limit": -5}, "query.limit"),
        ({"limit": "many"}, "query.limit"),
        ({"cursor": "not-a-cursor"}, "query.cursor"),
        ({"cursor": "eyJ2IjoxLCJhZnRlciI6Ii4uLy4uIn0"}, "query.cursor"),  # {"after":"../.."}
        ({"cursor": "A" * 300}, "query.cursor"),
    ],
)
def test_bad_list_parameters_are_400_naming_the_field(acme: httpx.Client, params, field) -> None:
    assert_problem(acme.get("/v1/documents", params=params), 400, field)


def test_patch_is_a_merge_patch_guarded_by_if_match(acme: httpx.Client) -> None:
    doc = create(acme, metadata={"keep": "1", "drop": "2"})
    url = f"/v1/documents/{doc['id']}"
    merge = {"Content-Type": "application/merge-patch+json"}
    assert_problem(acme.patch(url, json={"name": "x"}, headers=merge), 428)
    assert_problem(acme.patch(url, json={"name": "x"}, headers={**merge, "If-Match": '"9"'}), 412)
    assert_problem(acme.patch(url, json={"name": "x"}, headers={**merge, "If-Match": 'W/"1"'}), 412)
    response = acme.patch(
        url,
        json={"name": "renamed", "metadata": {"drop": None, "new": "3"}},
        headers={**merge, "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "renamed" and body["version"] == 2
    assert body["metadata"] == {"keep": "1", "new": "3"}
    assert response.headers["etag"] == '"2"'
    cleared = acme.patch(url, json={"metadata": None}, headers={**merge, "If-Match": '"2"'})
    assert cleared.json()["metadata"] == {}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": None}, "body.name"),
        ({"unknown": 1}, "body.unknown"),
        ({"metadata": {"bad key!": "v"}}, None),
        ({"name": "a\x00b"}, "body.name"),
    ],
)
def test_bad_patches_are_400(acme: httpx.Client, body, field) -> None:
    doc = create(acme)
    response = acme.patch(
        f"/v1/documents/{doc['id']}",
        json=body,
        headers={"Content-Type": "application/merge-patch+json", "If-Match": '"1"'},
    )
    assert_problem(response, 400, field)


def test_concurrent_updates_with_if_match_have_exactly_one_winner(acme: httpx.Client) -> None:
    doc = create(acme)
    url = f"/v1/documents/{doc['id']}"

    def attempt(i: int) -> int:
        return acme.patch(
            url,
            json={"metadata": {"writer": str(i)}},
            headers={"Content-Type": "application/merge-patch+json", "If-Match": '"1"'},
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(attempt, range(8)))
    assert statuses.count(200) == 1, statuses
    assert statuses.count(412) == 7, statuses
    final = acme.get(url).json()
    assert final["version"] == 2
    assert final["metadata"]["writer"] == str(statuses.index(200))


def test_delete_makes_document_and_content_unreadable_at_once(acme: httpx.Client) -> None:
    doc = create(acme)
    assert upload(acme, doc["id"], b"secret content").status_code == 201
    url = f"/v1/documents/{doc['id']}"
    assert_problem(acme.delete(url, headers={"If-Match": '"1"'}), 412)
    assert acme.delete(url).status_code == 204
    assert_problem(acme.get(url), 404)
    assert_problem(acme.get(f"{url}/content"), 404)
    assert_problem(acme.delete(url), 404)


def test_tenants_cannot_see_each_others_documents(acme, globex, stack: Stack) -> None:
    doc = create(acme, "private")
    assert upload(acme, doc["id"], b"acme only").status_code == 201
    url = f"/v1/documents/{doc['id']}"
    never_existed = acme.get("/v1/documents/01ARZ3NDEKTSV4RRFFQ69G5FAV")
    foreign = [
        globex.get(url),
        globex.get(f"{url}/content"),
        globex.get(f"{url}/content", params={"redirect": "true"}),
        globex.patch(url, json={"name": "x"}, headers={"If-Match": '"2"'}),
        globex.put(f"{url}/content", content=b"overwrite", headers={"If-Match": '"2"'}),
        globex.delete(url),
    ]
    for response in [never_existed, *foreign]:
        body = assert_problem(response, 404)
        assert body == never_existed.json(), "existence must not leak"
    listed = [
        item["id"] for item in globex.get("/v1/documents", params={"limit": 100}).json()["items"]
    ]
    assert doc["id"] not in listed
    assert acme.get(f"{url}/content").content == b"acme only"


def test_one_idempotency_key_from_two_tenants_gives_two_documents(acme, globex) -> None:
    # Keys are chosen by clients, so two tenants will pick the same one: each tenant's
    # record must be its own, or the second tenant is answered with the first's document.
    headers = {"Idempotency-Key": f"shared-{time.time_ns()}"}
    mine = acme.post("/v1/documents", json={"name": "same"}, headers=headers)
    theirs = globex.post("/v1/documents", json={"name": "same"}, headers=headers)
    assert mine.status_code == theirs.status_code == 201, theirs.text
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]
    assert globex.get(f"/v1/documents/{theirs.json()['id']}").status_code == 200
    assert_problem(globex.get(f"/v1/documents/{mine.json()['id']}"), 404)


def test_missing_or_unknown_keys_get_401_with_www_authenticate(depot) -> None:
    for headers in ({}, {"Authorization": "Bearer dpt_nope"}, {"Authorization": "Basic abc"}):
        response = httpx.get(f"{depot.url}/v1/documents", headers=headers)
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_idempotency_key_replays_rejects_reuse_and_reports_in_flight(acme, stack: Stack) -> None:
    key = f"idem-{time.time_ns()}"
    headers = {"Idempotency-Key": key}
    first = acme.post("/v1/documents", json={"name": "once"}, headers=headers)
    again = acme.post("/v1/documents", json={"name": "once"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert_problem(
        acme.post("/v1/documents", json={"name": "different"}, headers=headers),
        422,
        "header.Idempotency-Key",
    )
    names = [d["name"] for d in acme.get("/v1/documents", params={"limit": 100}).json()["items"]]
    assert names.count("once") == 1

    # Reuse is judged before in-flight: another body under a live claim is still a 422.
    ddb = boto3.client("dynamodb", region_name=REGION, endpoint_url=stack.endpoint)
    busy = f"busy-{time.time_ns()}"
    now = int(time.time())
    ddb.put_item(
        TableName=stack.table,
        Item={
            "pk": {"S": "TENANT#acme"},
            "sk": {"S": f"IDEMPOTENCY#{hashlib.sha256(busy.encode()).hexdigest()}"},
            "state": {"S": "in_flight"},
            "fingerprint": {"S": "x"},
            "expires_at": {"N": str(now + 3600)},
            "lease_until": {"N": str(now + 3600)},
        },
    )
    assert_problem(
        acme.post("/v1/documents", json={"name": "n"}, headers={"Idempotency-Key": busy}), 422
    )


def test_idempotency_in_flight_and_expiry_are_checked_on_read(acme, stack: Stack) -> None:
    import json as jsonlib

    ddb = boto3.client("dynamodb", region_name=REGION, endpoint_url=stack.endpoint)
    body = {"name": "n"}
    fingerprint = hashlib.sha256(
        jsonlib.dumps(
            {"name": "n", "content_type": "application/octet-stream", "metadata": {}},
            sort_keys=True,
        ).encode()
    ).hexdigest()
    now = int(time.time())

    def seed(key: str, state: str, expires_at: int, lease_until: int, response=None) -> None:
        item = {
            "pk": {"S": "TENANT#acme"},
            "sk": {"S": f"IDEMPOTENCY#{hashlib.sha256(key.encode()).hexdigest()}"},
            "state": {"S": state},
            "fingerprint": {"S": fingerprint},
            "expires_at": {"N": str(expires_at)},
            "lease_until": {"N": str(lease_until)},
        }
        if response is not None:
            item["response"] = {"S": jsonlib.dumps(response)}
        ddb.put_item(TableName=stack.table, Item=item)

    in_flight = f"inflight-{time.time_ns()}"
    seed(in_flight, "in_flight", now + 3600, now + 3600)
    assert_problem(
        acme.post("/v1/documents", json=body, headers={"Idempotency-Key": in_flight}), 409
    )

    # Expired by TTL but not yet deleted by DynamoDB: treated as absent, so a new document.
    expired = f"expired-{time.time_ns()}"
    seed(
        expired,
        "completed",
        now - 10,
        now - 3600,
        {"id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "version": 1},
    )
    fresh = acme.post("/v1/documents", json=body, headers={"Idempotency-Key": expired})
    assert fresh.status_code == 201
    assert fresh.json()["id"] != "01ARZ3NDEKTSV4RRFFQ69G5FAV"
    assert "idempotent-replayed" not in fresh.headers

    # A holder that died: its lease ran out, so the next request takes over.
    orphaned = f"orphaned-{time.time_ns()}"
    seed(orphaned, "in_flight", now + 3600, now - 1)
    assert (
        acme.post("/v1/documents", json=body, headers={"Idempotency-Key": orphaned}).status_code
        == 201
    )


@pytest.mark.parametrize(
    ("kwargs", "status", "field"),
    [
        ({"content": b"{not json", "headers": {"Content-Type": "application/json"}}, 400, None),
        (
            {"content": b'{"name": "\xff\xfe"}', "headers": {"Content-Type": "application/json"}},
            400,
            None,
        ),
        (
            {"content": b'{"name": "x"}', "headers": {"Content-Type": "text/plain"}},
            415,
            "header.Content-Type",
        ),
        ({"json": {"name": "x", "owner": "root"}}, 400, "body.owner"),
        ({"json": {"name": ""}}, 400, "body.name"),
        ({"json": {"name": "x" * 256}}, 400, "body.name"),
        ({"json": {"name": "x", "content_type": "not a type"}}, 400, "body.content_type"),
        (
            {"json": {"name": "x", "metadata": {f"k{i}": "v" for i in range(33)}}},
            400,
            "body.metadata",
        ),
        ({"json": {"name": "x", "metadata": {"k": 1}}}, 400, "body.metadata.k"),
        ({"json": []}, 400, None),
        (
            {
                "content": b"{" + b" " * 70000 + b"}",
                "headers": {"Content-Type": "application/json"},
            },
            413,
            None,
        ),
    ],
)
def test_bad_create_bodies_are_4xx_problems(acme: httpx.Client, kwargs, status, field) -> None:
    assert_problem(acme.post("/v1/documents", **kwargs), status, field)


def test_path_traversal_names_are_just_names(acme: httpx.Client) -> None:
    doc = create(acme, "../../etc/passwd")
    assert acme.get(f"/v1/documents/{doc['id']}").json()["name"] == "../../etc/passwd"


@pytest.mark.parametrize("doc_id", ["not-a-ulid", "01ARZ3NDEKTSV4RRFFQ69G5FA", "a.b", "U" * 26])
def test_malformed_ids_are_400(acme: httpx.Client, doc_id: str) -> None:
    assert_problem(acme.get(f"/v1/documents/{doc_id}"), 400, "path.doc_id")


def test_traversal_in_ids_never_reaches_another_route(acme: httpx.Client) -> None:
    # An encoded slash splits the path: no route matches, so a plain 404 problem.
    assert_problem(acme.get("/v1/documents/..%2F..%2Fetc"), 404)


def test_huge_headers_are_431(acme: httpx.Client) -> None:
    assert_problem(acme.get("/v1/documents", headers={"X-Padding": "a" * 20000}), 431)


def test_unknown_routes_and_methods_are_problems(acme: httpx.Client) -> None:
    assert_problem(acme.get("/v1/nothing-here"), 404)
    assert_problem(acme.put("/v1/documents"), 405)


def test_head_and_if_none_match_on_metadata(acme: httpx.Client, depot) -> None:
    doc = create(acme, "head.txt")
    url = f"/v1/documents/{doc['id']}"
    head = acme.head(url)
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == '"1"'
    assert acme.head("/v1/documents/01ARZ3NDEKTSV4RRFFQ69G5FAV").status_code == 404
    assert httpx.head(f"{depot.url}/livez").status_code == 200
    assert acme.head("/v1/documents").status_code == 200
    not_modified = acme.get(url, headers={"If-None-Match": '"1"'})
    assert not_modified.status_code == 304 and not_modified.headers["etag"] == '"1"'
    assert acme.get(url, headers={"If-None-Match": '"7"'}).status_code == 200


def test_no_slash_redirect_before_authentication(depot) -> None:
    response = httpx.get(f"{depot.url}/v1/documents/", headers={"Host": "evil.example"})
    assert response.status_code in (401, 404), response.status_code
    assert "location" not in response.headers


def test_a_noisy_tenant_gets_429_with_ratelimit_headers_others_do_not(start_depot, stack) -> None:
    own = start_depot(stack, DEPOT_TENANT_RATE_PER_SECOND="0.5", DEPOT_TENANT_BURST="3")
    noisy, quiet = own.client(stack.keys["acme"]), own.client(stack.keys["globex"])
    statuses = [noisy.get("/v1/documents").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = noisy.get("/v1/documents")
    assert_problem(limited, 429)
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.headers["RateLimit-Policy"] == '"tenant";q=3;w=6'
    assert limited.headers["RateLimit"].startswith('"tenant";r=0;t=')
    assert quiet.get("/v1/documents").status_code == 200
