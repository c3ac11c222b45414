"""JSON logs, one object per line on stdout, for the service and every library it uses.

structlog renders the service's own events; the standard library's records (uvicorn,
botocore) go through the same processors, so a log pipeline sees one format. Request and
trace ids arrive through structlog's context variables (bound by
middleware.RequestObservability). A last processor drops anything that looks like a
credential, whoever logged it.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import Any

import structlog
from structlog.types import EventDict, Processor, WrappedLogger

_SECRET_KEYS = frozenset(
    {"authorization", "api_key", "apikey", "key", "token", "secret", "password", "x-api-key"}
)
_BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+")


def secret_redactor(secret_values: Iterable[re.Pattern[str]] = ()) -> Processor:
    """A processor removing credential-looking fields, bearer tokens and any value
    matching one of `secret_values` (a service's own key format) before rendering."""
    patterns = tuple(secret_values)

    def redact_secrets(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
        for field in list(event_dict):
            if field.lower() in _SECRET_KEYS:
                event_dict[field] = "[redacted]"
            elif isinstance(event_dict[field], str):
                scrubbed = _BEARER.sub("Bearer [redacted]", event_dict[field])
                for pattern in patterns:
                    scrubbed = pattern.sub("[redacted]", scrubbed)
                event_dict[field] = scrubbed
        return event_dict

    return redact_secrets


def _shared_processors(redactor: Processor) -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
        structlog.processors.format_exc_info,
        redactor,
    ]


def configure_logging(
    level: str = "INFO", *, secret_values: Iterable[re.Pattern[str]] = ()
) -> None:
    """Route structlog and stdlib logging to one JSON line per event on stdout."""
    shared = _shared_processors(secret_redactor(secret_values))
    structlog.configure(
        # Drop filtered-out levels before any processor runs: debug calls then cost ~nothing.
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.JSONRenderer(),
        ],
    )
    # Per record, the standard library walks the stack for the caller and looks up the
    # thread, process and asyncio task; no processor or renderer here reads them, and the
    # walk is most of a log call's cost (the logging HOWTO's "Optimization" section).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging.logAsyncioTasks = False  # type: ignore[attr-defined]  # 3.12+, not in typeshed yet
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Libraries are chatty at INFO (botocore credential lookups, uvicorn per-connection
    # lines); their warnings still come through.
    for noisy in ("botocore", "boto3", "urllib3", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    logging.getLogger("uvicorn.error").setLevel(level)


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
