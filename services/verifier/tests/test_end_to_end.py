"""depot stores content → S3 sends ObjectCreated to the queue → the worker verifies it →
the verdict is visible through depot's API. Real processes over HTTP against the AWS
emulator; S3's own notification delivers the events (moto sends it for ObjectCreated).
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from conftest import MAX_RECEIVES, VISIBILITY_SECONDS, HoldingProxy, Proc, Stack, wait_until

PDF = b"%PDF-1.7\n" + b"x" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


def store(client: httpx.Client, content: bytes, content_type: str) -> str:
    created = client.post("/v1/documents", json={"name": "f", "content_type": content_type})
    assert created.status_code == 201, created.text
    doc_id: str = created.json()["id"]
    stored = client.put(f"/v1/documents/{doc_id}/content", content=content)
    assert stored.status_code in (200, 201), stored.text
    return doc_id


def integrity(client: httpx.Client, doc_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/documents/{doc_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()["integrity"]
    return found


def verdict(client: httpx.Client, doc_id: str, timeout: float = 30) -> dict[str, Any]:
    """The verdict once the worker has written one."""
    wait_until(lambda: integrity(client, doc_id)["status"] != "unverified", timeout,
               f"a verdict on {doc_id}")  # fmt: skip
    return integrity(client, doc_id)


def content_key(stack: Stack, doc_id: str) -> str:
    listed = stack.client("s3").list_objects_v2(
        Bucket=stack.bucket, Prefix=f"tenants/acme/{doc_id}/"
    )
    (item,) = listed["Contents"]
    return str(item["Key"])


def item(stack: Stack, doc_id: str) -> dict[str, Any]:
    found: dict[str, Any] = stack.client("dynamodb").get_item(
        TableName=stack.table,
        Key={"pk": {"S": "TENANT#acme"}, "sk": {"S": f"DOC#{doc_id}"}},
        ConsistentRead=True,
    )["Item"]
    return found


def queue_empty(stack: Stack) -> bool:
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=stack.queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return all(value == "0" for value in attributes.values())


def logged(worker: Proc, event: str, **fields: Any) -> list[dict[str, Any]]:
    return [
        line
        for line in worker.lines()
        if line.get("event") == event and all(line.get(k) == v for k, v in fields.items())
    ]


@pytest.fixture
def worker(start_worker: Callable[..., Proc]) -> Proc:
    """One worker with the test stack's settings, stopped when the test ends."""
    return start_worker()


def judged(client: httpx.Client, content: bytes, content_type: str) -> tuple[str, str]:
    """Store `content` through depot; its id and the worker's verdict on it."""
    doc_id = store(client, content, content_type)
    return doc_id, verdict(client, doc_id)["status"]


def test_stored_content_is_verified_and_the_verdict_shows_in_depot(
    worker: Proc, depot_client: httpx.Client
) -> None:
    doc_id = store(depot_client, PDF, "application/pdf")
    shown = verdict(depot_client, doc_id)
    assert shown["status"] == "verified" and shown["checked_at"] is not None


def test_an_object_changed_behind_depots_back_is_reported_mismatch(
    stack: Stack, worker: Proc, depot_client: httpx.Client
) -> None:
    doc_id, status = judged(depot_client, PDF, "application/pdf")
    assert status == "verified"
    # Same key, other bytes: S3 announces the write like any other.
    stack.client("s3").put_object(
        Bucket=stack.bucket, Key=content_key(stack, doc_id), Body=PDF + b"tampered"
    )
    wait_until(lambda: integrity(depot_client, doc_id)["status"] == "mismatch", 30,
               "the mismatch verdict")  # fmt: skip
    assert "size" in item(stack, doc_id)["integrity_detail"]["M"]["reason"]["S"]


def test_bytes_of_another_type_than_declared_are_reported_mismatch(
    stack: Stack, worker: Proc, depot_client: httpx.Client
) -> None:
    doc_id, status = judged(depot_client, PNG, "application/pdf")
    assert status == "mismatch"
    reason = item(stack, doc_id)["integrity_detail"]["M"]["reason"]["S"]
    assert reason.startswith("content_type: bytes are image/png")


def _event(key: str, event_time: str) -> str:
    """S3's event message structure (S3 user guide, "Event message structure")."""
    return json.dumps(
        {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": "eu-west-1",
                    "eventTime": event_time,
                    "eventName": "ObjectCreated:Put",
                    "s3": {
                        "s3SchemaVersion": "1.0",
                        "bucket": {"name": "", "arn": ""},
                        "object": {"key": key, "size": 0},
                    },
                }
            ]
        }
    )


def test_a_redelivered_or_older_event_neither_duplicates_nor_regresses_the_verdict(
    stack: Stack, worker: Proc, depot_client: httpx.Client
) -> None:
    doc_id, status = judged(depot_client, PDF, "application/pdf")
    assert status == "verified"
    wait_until(lambda: queue_empty(stack), 30, "the events to be handled")
    before = item(stack, doc_id)
    version = before["integrity_detail"]["M"]["version"]["S"]
    event_time = version.split("|T", 1)[1]
    key = content_key(stack, doc_id)
    sqs = stack.client("sqs")
    for sent_time in (event_time, "2000-01-01T00:00:00.000Z"):  # the same event, an older one
        body = _event(key, sent_time).replace('"name": ""', f'"name": "{stack.bucket}"')
        sqs.send_message(QueueUrl=stack.queue_url, MessageBody=body)
    wait_until(lambda: len(logged(worker, "message handled", outcome="unchanged")) >= 2, 30,
               "both events to be handled")  # fmt: skip
    wait_until(lambda: queue_empty(stack), 30, "both events to be deleted")
    after = item(stack, doc_id)
    for attribute in ("integrity", "integrity_checked_at", "integrity_detail"):
        assert after[attribute] == before[attribute], attribute


def test_a_poison_message_lands_in_the_dead_letter_queue_after_max_receives(
    stack: Stack, worker: Proc
) -> None:
    sqs = stack.client("sqs")
    marker = f"poison-{time.time_ns()}"
    sqs.send_message(QueueUrl=stack.queue_url, MessageBody=marker)
    found: list[dict[str, Any]] = []

    def in_dead_letter_queue() -> bool:
        received = sqs.receive_message(
            QueueUrl=stack.dead_letter_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        )
        found.extend(m for m in received.get("Messages", []) if m["Body"] == marker)
        return bool(found)

    wait_until(in_dead_letter_queue, 60, "the poison message in the dead-letter queue")
    handed_back = logged(worker, "poison message; handing back for the dead-letter queue")
    assert len(handed_back) == MAX_RECEIVES
    assert [line["receives"] for line in handed_back] == list(range(1, MAX_RECEIVES + 1))


def _verifying(worker: Proc, key: str) -> list[dict[str, Any]]:
    """The worker has found the record pointing at the object and is reading it."""
    return logged(worker, "reading object", object_key=key)


@pytest.fixture
def in_hand(
    stack: Stack,
    start_worker: Callable[..., Proc],
    depot_client: httpx.Client,
    slow_reads: HoldingProxy,
) -> tuple[Proc, subprocess.Popen[bytes], str, str]:
    """A worker provably in the middle of verifying a new document: it reads objects
    through a proxy that holds the read until the test releases it."""
    worker = start_worker(AWS_ENDPOINT_URL_S3=slow_reads.url)
    slow_reads.hold()
    doc_id = store(depot_client, PDF, "application/pdf")
    key = content_key(stack, doc_id)
    wait_until(lambda: bool(_verifying(worker, key)), 30, "the worker to start verifying")
    assert worker.popen is not None
    return worker, worker.popen, doc_id, key


InHand = tuple[Proc, subprocess.Popen[bytes], str, str]


def test_a_worker_killed_mid_verification_loses_nothing(
    in_hand: InHand,
    start_worker: Callable[..., Proc],
    depot_client: httpx.Client,
    slow_reads: HoldingProxy,
) -> None:
    first, process, doc_id, key = in_hand
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    slow_reads.release()
    assert integrity(depot_client, doc_id)["status"] == "unverified"
    killed_message = _verifying(first, key)[0]["message_id"]

    second = start_worker()
    assert verdict(depot_client, doc_id, timeout=VISIBILITY_SECONDS + 30)["status"] == "verified"
    wait_until(lambda: bool(logged(second, "message handled", message_id=killed_message)), 30,
               "the killed worker's message to be handled again")  # fmt: skip
    assert logged(second, "message handled", message_id=killed_message)[0]["receives"] >= 2


def test_sigterm_finishes_the_message_in_hand_then_exits_zero(
    in_hand: InHand, depot_client: httpx.Client, slow_reads: HoldingProxy
) -> None:
    worker, process, doc_id, key = in_hand
    process.send_signal(signal.SIGTERM)
    time.sleep(1.5)  # past the drain period: the listener closes, the message is in hand
    slow_reads.release()
    assert process.wait(timeout=30) == 0
    # No other worker ran: the verdict is the drained worker's own.
    assert integrity(depot_client, doc_id)["status"] == "verified"
    message_id = _verifying(worker, key)[0]["message_id"]
    assert logged(worker, "message handled", message_id=message_id, outcome="verified")


def test_probes_and_metrics_are_served_and_readiness_fails_while_draining(
    stack: Stack, start_worker: Callable[..., Proc]
) -> None:
    worker = start_worker(VERIFIER_DRAIN_SECONDS="3")
    url = f"http://127.0.0.1:{worker.env['PORT']}"
    assert httpx.get(f"{url}/livez").json() == {"status": "alive"}
    ready = httpx.get(f"{url}/readyz").json()
    assert ready["status"] == "ready" and ready["checks"]["polling"] is True
    assert "verifier_build_info{" in httpx.get(f"{url}/metrics").text
    # Once the first long poll has returned, its call is counted like any AWS call.
    receives = 'verifier_dependency_requests_total{backend="sqs",operation="ReceiveMessage"'
    wait_until(lambda: receives in httpx.get(f"{url}/metrics").text, 10, "a counted receive")
    assert worker.popen is not None
    worker.popen.send_signal(signal.SIGTERM)

    def draining() -> bool:
        answer = httpx.get(f"{url}/readyz")
        return answer.status_code == 503 and answer.json()["status"] == "draining"

    # The drain keeps the port answering (3 s here) while readiness fails.
    wait_until(draining, 3, "readiness to fail while draining")
    assert worker.popen.wait(timeout=30) == 0


def test_a_bad_configuration_stops_the_start_naming_the_variable(
    stack: Stack, start_worker: Callable[..., Proc]
) -> None:
    worker = start_worker(wait_ready=False, VERIFIER_VISIBILITY_TIMEOUT_SECONDS="2")
    assert worker.popen is not None
    assert worker.popen.wait(timeout=30) == 2
    assert "VERIFIER_VISIBILITY_TIMEOUT_SECONDS (2) must exceed" in worker.text()
