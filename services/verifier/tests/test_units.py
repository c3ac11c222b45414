"""Pure logic, no I/O: event parsing, key layout, signatures, verdicts, configuration."""

from __future__ import annotations

import json

import pytest
from service_runtime.config import ConfigurationError

from verifier.config import load_settings
from verifier.events import PoisonMessageError, parse
from verifier.keys import parse_key
from verifier.sniff import type_conflict
from verifier.verdict import Observed, Record, judge

ULID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
PDF = b"%PDF-1.7\n..."
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


def event(key: str = f"tenants/acme/DOC/{ULID}", **obj: object) -> str:
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventTime": "2026-01-01T00:00:00.000Z",
        "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": "content"}, "object": {"key": key, "size": 3, **obj}},
    }
    return json.dumps({"Records": [record]})


def test_an_object_created_event_parses_with_its_key_decoded() -> None:
    (parsed,) = parse(event("tenants/acme/a+b%2Fc/X", sequencer="0A1B"))
    assert parsed.bucket == "content" and parsed.key == "tenants/acme/a b/c/X"
    assert parsed.size == 3


def test_sequencers_of_different_lengths_order_as_aws_documents() -> None:
    # AWS: right-pad the shorter with zeros, then compare; 0A1B0 follows 0A1A.
    (shorter,) = parse(event(sequencer="0A1A"))
    (longer,) = parse(event(sequencer="0A1B0"))
    assert shorter.sequence < longer.sequence
    assert len(shorter.sequence) == len(longer.sequence)


def test_the_test_event_carries_nothing_to_verify() -> None:
    assert parse(json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"})) == []


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        json.dumps({"Records": []}),
        json.dumps({"Records": [{"eventName": "ObjectRemoved:Delete", "s3": {}}]}),
        event().replace("ObjectCreated:Put", "ObjectRemoved:Delete"),
        event(sequencer="not-hex"),
        json.dumps({"Records": [{"eventName": "ObjectCreated:Put"}]}),
    ],
)
def test_anything_else_is_a_poison_message(body: str) -> None:
    with pytest.raises(PoisonMessageError):
        parse(body)


def test_depot_keys_parse_and_others_do_not() -> None:
    parsed = parse_key("tenants", f"tenants/acme/DOC/{ULID}")
    assert parsed is not None and (parsed.tenant, parsed.document, parsed.upload) == (
        "acme",
        "DOC",
        ULID,
    )
    for key in (f"other/acme/DOC/{ULID}", "tenants/acme/DOC/not-a-ulid", f"tenants/acme/{ULID}"):
        assert parse_key("tenants", key) is None


@pytest.mark.parametrize(
    ("declared", "head"),
    [
        ("application/pdf", PDF),
        ("image/png", PNG),
        ("IMAGE/PNG; charset=binary", PNG),
        ("text/plain", b"hello"),
        ("application/octet-stream", PNG),  # no claim: any bytes may be octets
    ],
)
def test_bytes_that_agree_with_the_declared_type(declared: str, head: bytes) -> None:
    assert type_conflict(declared, head) is None


@pytest.mark.parametrize(
    ("declared", "head"),
    [
        ("application/pdf", PNG),  # bytes of another known type
        ("application/pdf", b"hello"),  # a declared signature the bytes lack
        ("text/plain", PDF),  # text declared, a PDF stored
    ],
)
def test_bytes_that_contradict_the_declared_type(declared: str, head: bytes) -> None:
    assert type_conflict(declared, head) is not None


def record(**fields: object) -> Record:
    base: dict[str, object] = {
        "content_key": "k",
        "size": len(PDF),
        "sha256": "a" * 64,
        "content_type": "application/pdf",
    }
    return Record(**{**base, **fields})  # type: ignore[arg-type]


def test_a_matching_object_is_verified() -> None:
    assert judge(record(), Observed(len(PDF), "a" * 64, PDF)).status == "verified"


@pytest.mark.parametrize(
    ("observed", "reason"),
    [
        (Observed(len(PDF) + 1, "a" * 64, PDF), "size"),
        (Observed(len(PDF), "b" * 64, PDF), "sha256"),
        (Observed(len(PDF), "a" * 64, PNG), "content_type"),
    ],
)
def test_any_disagreement_is_a_mismatch(observed: Observed, reason: str) -> None:
    verdict = judge(record(), observed)
    assert verdict.status == "mismatch" and verdict.reason is not None
    assert verdict.reason.startswith(reason)


BASE_ENV = {
    "AWS_REGION": "eu-west-1",
    "VERIFIER_QUEUE_URL": "http://127.0.0.1:1/123/verifier-dev",
    "VERIFIER_TABLE_NAME": "depot-dev-documents",
    "VERIFIER_BUCKET_NAME": "depot-dev-content",
}


def test_a_visibility_timeout_longer_than_the_longest_verification_is_accepted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in BASE_ENV.items():
        monkeypatch.setenv(name, value)
    # 100 MiB at 1 MiB/s + 30 s = 130 s; the default 900 s outlasts it.
    assert load_settings().visibility_timeout_seconds == 900
    monkeypatch.setenv("VERIFIER_VISIBILITY_TIMEOUT_SECONDS", "131")
    assert load_settings().longest_verification_seconds == 130


def test_a_visibility_timeout_the_verification_could_outlast_stops_the_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in BASE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("VERIFIER_VISIBILITY_TIMEOUT_SECONDS", "130")
    with pytest.raises(ConfigurationError, match="VERIFIER_VISIBILITY_TIMEOUT_SECONDS"):
        load_settings()


def test_a_missing_queue_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in BASE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("VERIFIER_QUEUE_URL")
    with pytest.raises(ConfigurationError, match="VERIFIER_QUEUE_URL: is required"):
        load_settings()
