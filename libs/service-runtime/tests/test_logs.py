"""JSON log lines with request and trace ids, and no credentials."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
import structlog

from service_runtime.logs import configure_logging, get_logger, secret_redactor

SERVICE_KEY = re.compile(r"svc_[a-z0-9]{16,}")


def _redacted(patterns: list[re.Pattern[str]], event: dict[str, Any]) -> dict[str, Any]:
    out = secret_redactor(patterns)(None, "info", event)
    assert isinstance(out, dict)
    return out


def test_one_json_line_per_event_with_the_bound_ids(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO")
    structlog.contextvars.bind_contextvars(request_id="r-1", trace_id="t" * 32)
    try:
        get_logger("example.access").info("request", status=200)
        get_logger("example.access").debug("dropped below the level")
    finally:
        structlog.contextvars.clear_contextvars()
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["event"] == "request"
    assert record["logger"] == "example.access"
    assert (record["request_id"], record["trace_id"]) == ("r-1", "t" * 32)
    assert record["level"] == "info" and record["timestamp"].endswith("Z")


def test_standard_library_records_are_json_too(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO")
    logging.getLogger("uvicorn.error").info("from the library")
    record = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert record["event"] == "from the library"


def test_credentials_and_the_services_key_format_are_redacted() -> None:
    event = {
        "event": "calling with Bearer abc.def",
        "authorization": "Bearer x",
        "detail": "key svc_0123456789abcdef0 leaked",
    }
    out = _redacted([SERVICE_KEY], event)
    assert "abc.def" not in out["event"]
    assert out["authorization"] == "[redacted]"
    assert "svc_0123456789abcdef0" not in out["detail"]


def test_without_the_services_pattern_its_key_is_not_recognised() -> None:
    # The must-fail side: only the patterns a service names are redacted as its keys.
    out = _redacted([], {"detail": "key svc_0123456789abcdef0"})
    assert "svc_0123456789abcdef0" in out["detail"]
