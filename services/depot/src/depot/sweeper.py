"""The reconciler: makes what S3 holds match what the table references.

Two passes, both paginated to the end (DynamoDB `LastEvaluatedKey`, S3 continuation
tokens), run by `depot sweep` (the chart schedules it as a CronJob):

1. Documents still `pending` (no upload ever committed) older than the age limit are
   deleted, each conditionally on the version read, so a commit that lands meanwhile wins.
2. Every content object older than the same age limit that no document references
   (`content_key`) is deleted; the bytes referenced per tenant are recounted into the
   storage quota's counter. This is the only place content is deleted on doubt:
   request paths leave an object behind whenever a commit's outcome is uncertain, and
   uploads replaced by a later commit, deleted documents whose object removal failed,
   and pass 1's documents all end here.

Why the age limit keeps live uploads safe: a multipart upload in progress is not an
object (ListObjectsV2 does not list it), and an object is referenced, if ever, by the
commit that immediately follows its upload, within one request's deadline. An object
older than the limit that nothing references can no longer become referenced.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from service_runtime.logs import get_logger
from ulid import ULID

from depot.repository import StoredDocument, VersionConflictError
from depot.runtime import Runtime

log = get_logger("depot.sweeper")
# Page sizes of the two listings (DynamoDB Query, S3 ListObjectsV2's maximum).
DOCUMENT_PAGE = 100
OBJECT_PAGE = 1000


@dataclass
class SweepReport:
    documents: int = 0
    objects: int = 0
    kept_objects: int = 0
    usage: dict[str, int] = field(default_factory=dict)  # bytes referenced per tenant


def cutoff_id(older_than_seconds: float, now: float | None = None) -> str:
    """The smallest ULID of the instant `older_than_seconds` ago: ids below it are older."""
    millis = int(((now if now is not None else time.time()) - older_than_seconds) * 1000)
    return str(ULID.from_bytes(millis.to_bytes(6, "big") + bytes(10)))


def parse_content_key(root: str, key: str) -> tuple[str, str] | None:
    """(tenant, document id) of `<root><tenant>/<document>/<upload>`, None for any other key."""
    parts = key.removeprefix(root).split("/")
    if not key.startswith(root) or len(parts) != 3 or not all(parts):
        return None
    return parts[0], parts[1]


async def sweep(runtime: Runtime, older_than_seconds: float) -> SweepReport:
    report = SweepReport()
    started = time.time()
    await _sweep_pending(runtime, cutoff_id(older_than_seconds, started), report)
    await _sweep_unreferenced(runtime, started - older_than_seconds, report)
    # The storage quota's counters, recounted from what the table references
    # (docs/adr/0008): whatever a lost update left them off by is corrected here.
    for tenant, total in report.usage.items():
        await runtime.documents.set_usage(tenant, total)
    return report


async def _sweep_pending(runtime: Runtime, cutoff: str, report: SweepReport) -> None:
    async for tenant, doc_id in runtime.documents.pending_before(cutoff, DOCUMENT_PAGE):
        document = await runtime.documents.get(tenant, doc_id)
        if document is None or document.status != "pending":
            continue
        try:
            await runtime.documents.delete(tenant, doc_id, document.version)
        except VersionConflictError:
            continue  # an upload committed meanwhile: the document is alive
        report.documents += 1
        log.info("swept pending document", tenant=tenant, document_id=doc_id)


async def _sweep_unreferenced(runtime: Runtime, before: float, report: SweepReport) -> None:
    content = runtime.content
    root = content.root_prefix
    limit = datetime.fromtimestamp(before, UTC)
    seen: dict[tuple[str, str], StoredDocument | None] = {}
    async for key, modified in content.list_objects(root, OBJECT_PAGE):
        if modified >= limit:
            continue  # young: its upload's commit may still be on its way
        owner = parse_content_key(root, key)
        if owner is None:
            report.kept_objects += 1  # not a content key of ours: never touched
            continue
        if owner not in seen:
            # Strongly consistent; an older document can only ever point at newer keys.
            seen[owner] = await runtime.documents.get(*owner)
        document = seen[owner]
        if document is not None and document.content_key == key:
            report.kept_objects += 1
            report.usage[owner[0]] = report.usage.get(owner[0], 0) + (document.size or 0)
            continue
        await content.delete(key)
        report.objects += 1
        log.info("deleted unreferenced object", tenant=owner[0], document_id=owner[1], key=key)
