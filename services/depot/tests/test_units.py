"""Pure logic, no I/O."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from service_runtime.aws import CircuitBreaker
from service_runtime.config import ConfigurationError
from service_runtime.logs import secret_redactor
from service_runtime.problems import Problem

from depot.config import load_settings
from depot.cursor import InvalidCursorError, decode_cursor, encode_cursor
from depot.http_helpers import check_if_match, parse_content_digest
from depot.keys import KEY_PATTERN, KeySet, KeySetDocument, generate_key, hash_key
from depot.sweeper import cutoff_id

ULID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"


def test_cursor_round_trip() -> None:
    assert decode_cursor(encode_cursor(ULID)) == ULID


@given(st.text(max_size=300))
def test_any_string_decodes_to_a_valid_id_or_invalid_cursor(text: str) -> None:
    try:
        after = decode_cursor(text)
    except InvalidCursorError:
        return
    assert len(after) == 26


@pytest.mark.parametrize(
    ("header", "version", "required", "status"),
    [
        (None, 1, True, 428),
        ('"2"', 1, False, 412),
        ('W/"1"', 1, False, 412),
        ("garbage", 1, False, 412),
    ],
)
def test_if_match_failures(header, version, required, status) -> None:
    with pytest.raises(Problem) as caught:
        check_if_match(header, version, required=required)
    assert caught.value.status == status
    assert caught.value.headers["ETag"] == f'"{version}"'


@pytest.mark.parametrize("header", [None, '"1"', '"3", "1"', "*"])
def test_if_match_passes(header) -> None:
    check_if_match(header, 1, required=False)


def test_content_digest_parses_rfc_9530() -> None:
    digest = hashlib.sha256(b"x").digest()
    value = base64.b64encode(digest).decode()
    assert parse_content_digest(f"sha-512=:AAAA:, sha-256=:{value}:") == digest
    assert parse_content_digest(None) is None
    with pytest.raises(Problem):
        parse_content_digest("sha-512=:AAAA:")


def test_keyset_authenticates_by_hash_only() -> None:
    key = generate_key()
    document = KeySetDocument.model_validate(
        {
            "keys": [
                {
                    "id": f"key_{ULID}",
                    "tenant": "acme",
                    "sha256": hash_key(key),
                    "created_at": "2026-01-01T00:00:00Z",
                }
            ]
        }
    )
    keys = KeySet(document)
    principal = keys.authenticate(key)
    assert principal is not None and principal.tenant == "acme"
    assert keys.authenticate(key + "x") is None
    assert key not in document.model_dump_json()


def test_breaker_opens_after_threshold_and_lets_one_trial_through() -> None:
    breaker = CircuitBreaker(threshold=3, open_seconds=0.05)
    for _ in range(3):
        assert breaker.allow()
        breaker.record(healthy=False)
    assert not breaker.allow()
    import time

    time.sleep(0.06)
    assert breaker.allow(), "the trial call"
    assert not breaker.allow(), "only one trial per open period"
    breaker.record(healthy=True)
    assert breaker.allow()


def test_redaction_drops_credentials_wherever_they_appear() -> None:
    event = {
        "event": "calling with Bearer dpt_abcdefghijklmnopqrstuvwxyz0123",
        "authorization": "Bearer x",
        "detail": "key dpt_abcdefghijklmnopqrstuvwxyz0123 leaked",
    }
    out = secret_redactor([KEY_PATTERN])(None, "info", event)
    assert "dpt_abcdefghijklmnopqrstuvwxyz0123" not in str(out)
    assert out["authorization"] == "[redacted]"


def test_configuration_errors_name_variables_and_values(monkeypatch) -> None:
    for name in ("DEPOT_TABLE_NAME", "DEPOT_BUCKET_NAME", "DEPOT_KEYS_SECRET_ID", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DEPOT_BUCKET_NAME", "Not_A_Bucket")
    monkeypatch.setenv("DEPOT_AWS_READ_TIMEOUT_SECONDS", "0")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    message = str(caught.value)
    assert "DEPOT_TABLE_NAME: is required" in message
    assert "DEPOT_BUCKET_NAME" in message and "Not_A_Bucket" in message
    assert "DEPOT_AWS_READ_TIMEOUT_SECONDS" in message
    assert "AWS_REGION or AWS_DEFAULT_REGION" in message


def test_sweeper_cutoff_orders_before_newer_ids() -> None:
    cutoff = cutoff_id(60, now=1_800_000_000.0)
    older = cutoff_id(120, now=1_800_000_000.0)
    assert older < cutoff
    assert len(cutoff) == 26


def _stored(**fields: object) -> object:
    from datetime import UTC, datetime

    from depot.repository import StoredDocument

    now = datetime(2026, 1, 1, tzinfo=UTC)
    base: dict[str, object] = {
        "tenant": "acme", "id": ULID, "name": "a", "content_type": "text/plain",
        "metadata": {}, "version": 2, "status": "available", "created_at": now,
        "updated_at": now, "size": 1, "sha256": "0" * 64, "content_key": "tenants/acme/x/NEW",
    }  # fmt: skip
    return StoredDocument(**{**base, **fields})  # type: ignore[arg-type]


def test_the_verdict_on_the_current_content_is_shown() -> None:
    from datetime import UTC, datetime

    checked = datetime(2026, 1, 2, tzinfo=UTC)
    for status in ("verified", "mismatch"):
        shown = _stored(
            integrity=status, integrity_checked_at=checked, integrity_key="tenants/acme/x/NEW"
        ).to_api()  # type: ignore[attr-defined]
        assert shown.integrity.status == status and shown.integrity.checked_at == checked


def test_a_verdict_on_earlier_content_is_not_shown_as_the_current_ones() -> None:
    from datetime import UTC, datetime

    stale = _stored(
        integrity="verified",
        integrity_checked_at=datetime(2026, 1, 2, tzinfo=UTC),
        integrity_key="tenants/acme/x/OLD",
    ).to_api()  # type: ignore[attr-defined]
    assert stale.integrity.status == "unverified" and stale.integrity.checked_at is None
    assert _stored().to_api().integrity.status == "unverified"  # type: ignore[attr-defined]
