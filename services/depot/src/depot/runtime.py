"""Everything a running instance owns, built once from Settings and passed to the app.

Explicit wiring instead of module globals: tests build as many instances as they like,
each against its own emulator, in one process.
"""

from __future__ import annotations

from dataclasses import dataclass

from service_runtime.health import DependencyMonitor, Health, Lifecycle
from service_runtime.metrics import Metrics, create_metrics

from depot.aws import BACKENDS, Aws
from depot.config import Settings
from depot.governor import UploadSlots, memory_limit_bytes, upload_slots
from depot.keystore import KeyStore
from depot.ratelimit import TenantRateLimiter
from depot.repository import DocumentRepository, IdempotencyStore
from depot.service.documents import DocumentService
from depot.storage import ContentStore


@dataclass
class Runtime:
    settings: Settings
    metrics: Metrics
    aws: Aws
    keystore: KeyStore
    documents: DocumentRepository
    idempotency: IdempotencyStore
    content: ContentStore
    service: DocumentService
    uploads: UploadSlots
    rate_limiter: TenantRateLimiter
    lifecycle: Lifecycle
    dependencies: DependencyMonitor
    health: Health


def build_runtime(settings: Settings) -> Runtime:
    metrics = create_metrics("depot", settings.version, settings.revision, BACKENDS)
    aws = Aws(settings, metrics)
    keystore = KeyStore(aws, settings.keys_secret_id, settings.keys_refresh_seconds, metrics)
    documents = DocumentRepository(aws, settings.table_name)
    content = ContentStore(
        aws,
        settings.bucket_name,
        settings.s3_prefix,
        settings.multipart_part_bytes,
        settings.max_content_bytes,
        settings.s3_kms_key_id,
    )

    idempotency = IdempotencyStore(
        aws,
        settings.table_name,
        settings.idempotency_ttl_seconds,
        settings.idempotency_lease_seconds,
    )
    lifecycle = Lifecycle(metrics)
    dependencies = DependencyMonitor(
        # Secrets Manager is probed by the key store's own refreshes.
        {"dynamodb": documents.probe, "s3": content.probe},
        settings.dependency_check_seconds,
        metrics,
    )
    return Runtime(
        settings=settings,
        metrics=metrics,
        aws=aws,
        keystore=keystore,
        documents=documents,
        idempotency=idempotency,
        content=content,
        service=DocumentService(documents, idempotency, content, settings.tenant_quota_bytes),
        rate_limiter=TenantRateLimiter(settings.tenant_rate_per_second, settings.tenant_burst),
        uploads=UploadSlots(
            upload_slots(
                settings.upload_slots,
                memory_limit_bytes(settings.memory_limit_bytes),
                settings.memory_reserved_bytes,
                settings.multipart_part_bytes,
            )
        ),
        lifecycle=lifecycle,
        dependencies=dependencies,
        # Ready once the key set is loaded (before, it could only answer 401s).
        health=Health(
            metrics,
            lifecycle,
            dependencies,
            checks={"keys_loaded": lambda: keystore.loaded},
            reported={"secretsmanager": lambda: keystore.status},
        ),
    )
