"""Removes documents that an interrupted upload left `pending`, and their content.

A document stays `pending` until an upload commits; a client that never uploads, or a
pod killed mid-upload, leaves one behind. Run by `depot sweep` (the chart schedules it as
a CronJob). Objects of such uploads are unreferenced, so nothing readable is lost.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ulid import ULID

from depot.logs import get_logger
from depot.repository import VersionConflictError
from depot.runtime import Runtime

log = get_logger("depot.sweeper")
_MAX_BATCHES = 100


@dataclass
class SweepReport:
    documents: int = 0
    objects: int = 0


def cutoff_id(older_than_seconds: float, now: float | None = None) -> str:
    """The smallest ULID of the instant `older_than_seconds` ago: ids below it are older."""
    millis = int(((now if now is not None else time.time()) - older_than_seconds) * 1000)
    return str(ULID.from_bytes(millis.to_bytes(6, "big") + bytes(10)))


async def sweep(runtime: Runtime, older_than_seconds: float) -> SweepReport:
    report = SweepReport()
    cutoff = cutoff_id(older_than_seconds)
    for _ in range(_MAX_BATCHES):
        found = await runtime.documents.pending_before(cutoff)
        if not found:
            break
        for tenant, doc_id in found:
            document = await runtime.documents.get(tenant, doc_id)
            if document is None or document.status != "pending":
                continue
            try:
                await runtime.documents.delete(document)
            except VersionConflictError:
                continue  # an upload committed meanwhile: the document is alive
            report.documents += 1
            report.objects += await runtime.content.delete_prefix(
                runtime.content.document_prefix(tenant, doc_id)
            )
            log.info("swept pending document", tenant=tenant, document_id=doc_id)
    return report
