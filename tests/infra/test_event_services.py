"""The event-driven verifier's infrastructure (ADR 0028): its queue and dead-letter queue,
the content bucket's one notification, and who may do what, read back from the applied dev
root and evaluated by the policies' meaning (principalmapper, tests/infra/policy_eval.py):
the worker's role, KEDA's role, the queue policy and the queue key's policy. Each right
has its must-allow and its must-deny case."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra import policy_eval as pe
from tests.infra.lifecycle import RootRun
from tests.infra.plans import planned
from tests.infra.workspace import EMULATOR_ACCOUNT_ID

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

ACCOUNT = EMULATOR_ACCOUNT_ID
OTHER_ACCOUNT = "999999999999"
REGION = "eu-west-1"
WORKER = "verifier-dev"
KEDA = "depot-dev-keda-operator"
BUCKET = f"arn:aws:s3:::depot-dev-content-{ACCOUNT}"
OTHER_BUCKET = f"arn:aws:s3:::depot-dev-logs-{ACCOUNT}"
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/depot-dev-documents"
KEY = ["pk", "sk"]
VERDICT = ["integrity", "integrity_checked_at", "integrity_detail"]
COMPARED = ["size", "sha256", "content_key", "content_type"]


@pytest.fixture(scope="module")
def snap(dev_run: RootRun) -> dict[str, Any]:
    return dict(dev_run.require().snapshot)


@pytest.fixture(scope="module")
def verifier(snap: dict[str, Any]) -> dict[str, Any]:
    return dict(snap["event_services"]["verifier"])


def node(snap: dict[str, Any], name: str) -> Any:
    role = snap["roles"][name]
    return pe.principal(role["arn"], dict(role["inline"]))


def queue_arn(verifier: dict[str, Any]) -> str:
    return str(verifier["queue"]["QueueArn"])


def test_queue_redrives_to_its_dead_letter_queue_after_five_receives(
    verifier: dict[str, Any],
) -> None:
    queue, dead = verifier["queue"], verifier["dead_letter_queue"]
    redrive = json.loads(queue["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == dead["QueueArn"]
    assert int(redrive["maxReceiveCount"]) == 5
    assert queue["QueueArn"].endswith(":verifier-dev")
    assert dead["QueueArn"].endswith(":verifier-dev-dlq")
    # The dead-letter queue keeps a message at least as long as the queue could have.
    assert int(dead["MessageRetentionPeriod"]) >= int(queue["MessageRetentionPeriod"])


def test_visibility_timeout_exceeds_the_longest_verification(verifier: dict[str, Any]) -> None:
    # The module's default max_processing_seconds is 300; the validation refuses <= 300.
    assert int(verifier["queue"]["VisibilityTimeout"]) > 300
    assert int(verifier["queue"]["ReceiveMessageWaitTimeSeconds"]) == 20


def test_both_queues_are_encrypted_with_the_rotating_queue_key(verifier: dict[str, Any]) -> None:
    key = verifier["queue_key"]
    assert key["rotation"] is True
    assert verifier["queue"]["KmsMasterKeyId"] == key["arn"]
    assert verifier["dead_letter_queue"]["KmsMasterKeyId"] == key["arn"]


def test_content_bucket_announces_created_objects_under_the_prefix_to_the_queue(
    snap: dict[str, Any], verifier: dict[str, Any]
) -> None:
    configs = snap["content_notification"].get("QueueConfigurations", [])
    assert len(configs) == 1, configs
    (config,) = configs
    assert config["QueueArn"] == queue_arn(verifier)
    assert config["Events"] == ["s3:ObjectCreated:*"]
    rules = config["Filter"]["Key"]["FilterRules"]
    assert {r["Name"].lower(): r["Value"] for r in rules} == {"prefix": "tenants/"}


def test_outputs_hand_the_queue_and_role_to_gitops(verifier: dict[str, Any]) -> None:
    out = verifier["outputs"]
    assert out["role_arn"] == f"arn:aws:iam::{ACCOUNT}:role/{WORKER}"
    assert out["queue_url"].endswith("/verifier-dev")
    assert out["dead_letter_queue_name"] == "verifier-dev-dlq"
    assert out["aws_region"] == REGION


# --- Who may send: only S3, for depot's content bucket, in this account.


def s3_may(document: dict[str, Any], action: str, resource: str, bucket: str, account: str) -> bool:
    return pe.service_allowed(
        "s3.amazonaws.com",
        action,
        resource,
        {"aws:SourceArn": bucket, "aws:SourceAccount": account},
        resource_policy=document,
        resource_owner=ACCOUNT,
    )


def test_only_the_content_bucket_of_this_account_may_send_to_the_queue(
    verifier: dict[str, Any],
) -> None:
    policy = json.loads(verifier["queue"]["Policy"])
    queue = queue_arn(verifier)
    assert s3_may(policy, "sqs:SendMessage", queue, BUCKET, ACCOUNT)
    assert not s3_may(policy, "sqs:SendMessage", queue, OTHER_BUCKET, ACCOUNT), "another bucket"
    assert not s3_may(policy, "sqs:SendMessage", queue, BUCKET, OTHER_ACCOUNT), "another account"
    assert not s3_may(policy, "sqs:ReceiveMessage", queue, BUCKET, ACCOUNT), "S3 only sends"


def test_only_the_content_bucket_of_this_account_may_encrypt_with_the_queue_key(
    verifier: dict[str, Any],
) -> None:
    policy, key = verifier["queue_key"]["policy"], verifier["queue_key"]["arn"]
    assert s3_may(policy, "kms:GenerateDataKey", key, BUCKET, ACCOUNT)
    assert s3_may(policy, "kms:Decrypt", key, BUCKET, ACCOUNT)
    assert not s3_may(policy, "kms:GenerateDataKey", key, OTHER_BUCKET, ACCOUNT)
    assert not s3_may(policy, "kms:GenerateDataKey", key, BUCKET, OTHER_ACCOUNT)
    assert not s3_may(policy, "kms:ScheduleKeyDeletion", key, BUCKET, ACCOUNT)


# --- The worker's role.


def test_worker_consumes_only_its_own_queue(snap: dict[str, Any], verifier: dict[str, Any]) -> None:
    worker, queue = node(snap, WORKER), queue_arn(verifier)
    for action in (
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",
    ):
        assert pe.allowed(worker, action, queue), action
    assert not pe.allowed(worker, "sqs:SendMessage", queue), "S3 enqueues, not the worker"
    dead = verifier["dead_letter_queue"]["QueueArn"]
    other = f"arn:aws:sqs:{REGION}:{ACCOUNT}:depot-dev-karpenter-interruption"
    for elsewhere in (dead, other):
        assert not pe.allowed(worker, "sqs:ReceiveMessage", elsewhere), elsewhere


def test_worker_reads_objects_only_under_the_content_prefix(snap: dict[str, Any]) -> None:
    worker = node(snap, WORKER)
    assert pe.allowed(worker, "s3:GetObject", f"{BUCKET}/tenants/t1/documents/d1")
    assert not pe.allowed(worker, "s3:GetObject", f"{BUCKET}/other/d1"), "outside the prefix"
    assert not pe.allowed(worker, "s3:GetObject", f"{OTHER_BUCKET}/tenants/t1/d1"), "other bucket"
    for write in ("s3:PutObject", "s3:DeleteObject"):
        assert not pe.allowed(worker, write, f"{BUCKET}/tenants/t1/documents/d1"), write


def update(attributes: list[str], returns: str | None = "NONE") -> dict[str, Any]:
    context: dict[str, Any] = {"dynamodb:Attributes": attributes}
    if returns is not None:
        context["dynamodb:ReturnValues"] = returns
    return context


def test_worker_writes_only_the_verdict(snap: dict[str, Any]) -> None:
    worker = node(snap, WORKER)
    assert pe.allowed(worker, "dynamodb:UpdateItem", TABLE, update([*KEY, *VERDICT]))
    assert pe.allowed(worker, "dynamodb:UpdateItem", TABLE, update([*KEY, "integrity"], None))
    assert pe.allowed(worker, "dynamodb:UpdateItem", TABLE, update([*KEY, *VERDICT], "UPDATED_NEW"))
    for other in ("size", "sha256", "content_type", "owner", "pending_pk"):
        assert not pe.allowed(worker, "dynamodb:UpdateItem", TABLE, update([*KEY, other])), other
    assert not pe.allowed(worker, "dynamodb:UpdateItem", TABLE, update([*KEY, *VERDICT], "ALL_OLD"))
    assert not pe.allowed(worker, "dynamodb:UpdateItem", TABLE, {}), "an unnamed write"
    for action in ("dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Scan", "dynamodb:Query"):
        assert not pe.allowed(worker, action, TABLE, update([*KEY, *VERDICT])), action
    other_table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/ledger-dev-documents"
    assert not pe.allowed(worker, "dynamodb:UpdateItem", other_table, update([*KEY, *VERDICT]))


def test_worker_reads_only_the_compared_fields(snap: dict[str, Any]) -> None:
    worker = node(snap, WORKER)
    read = {"dynamodb:Attributes": [*KEY, *COMPARED], "dynamodb:Select": "SPECIFIC_ATTRIBUTES"}
    assert pe.allowed(worker, "dynamodb:GetItem", TABLE, read)
    assert not pe.allowed(
        worker, "dynamodb:GetItem", TABLE, {"dynamodb:Attributes": [*KEY, "owner"]}
    ), "a field it does not compare"
    assert not pe.allowed(worker, "dynamodb:GetItem", TABLE, {}), "the whole item"
    assert not pe.allowed(
        worker,
        "dynamodb:GetItem",
        TABLE,
        {"dynamodb:Attributes": [*KEY, *COMPARED], "dynamodb:Select": "ALL_ATTRIBUTES"},
    )


def test_worker_decrypts_only_through_s3_dynamodb_and_sqs(
    snap: dict[str, Any], verifier: dict[str, Any]
) -> None:
    worker = node(snap, WORKER)
    data_key = snap["data_key"]["arn"]
    queue_key = verifier["queue_key"]["arn"]

    def via(service: str) -> dict[str, str]:
        return {"kms:ViaService": f"{service}.{REGION}.amazonaws.com"}

    assert pe.allowed(worker, "kms:Decrypt", data_key, via("s3"))
    assert pe.allowed(worker, "kms:Decrypt", data_key, via("dynamodb"))
    assert pe.allowed(worker, "kms:Decrypt", queue_key, via("sqs"))
    assert not pe.allowed(worker, "kms:Decrypt", data_key), "direct decryption"
    assert not pe.allowed(worker, "kms:Decrypt", data_key, via("secretsmanager")), "the key set"
    assert not pe.allowed(worker, "kms:Decrypt", queue_key, via("s3"))
    assert not pe.allowed(worker, "kms:GenerateDataKey", data_key, via("s3")), "it never writes"
    assert not pe.allowed(worker, "secretsmanager:GetSecretValue", snap["secret"]["ARN"]), (
        "depot's API keys"
    )


# --- KEDA's role: the queue depth, nothing else.


def test_keda_reads_only_the_queue_depth(snap: dict[str, Any], verifier: dict[str, Any]) -> None:
    keda, queue = node(snap, KEDA), queue_arn(verifier)
    assert pe.allowed(keda, "sqs:GetQueueAttributes", queue)
    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:SendMessage"):
        assert not pe.allowed(keda, action, queue), action
    assert not pe.allowed(keda, "s3:GetObject", f"{BUCKET}/tenants/t1/d1")


def test_real_accounts_let_only_the_queue_redrive_into_its_dead_letter_queue(
    prod_plan: RootRun,
) -> None:
    # Left out against the emulator (it never reports the attribute back): the prod plan,
    # made with a real account's settings, carries it, and the redrive policy with it.
    plan = dict(prod_plan.require(step="plan").snapshot["plan"])
    allow = planned(plan, "aws_sqs_queue_redrive_allow_policy")
    assert [a for a in allow if 'module.events["verifier"]' in a], sorted(allow)
    (redrive,) = planned(plan, "aws_sqs_queue_redrive_policy").values()
    policy = redrive.get("redrive_policy")
    assert policy is None or json.loads(policy)["maxReceiveCount"] == 5
