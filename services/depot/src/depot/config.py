"""depot's configuration: the platform's common settings (service_runtime.config) plus
depot's own, all read from DEPOT_* variables and validated once at start-up.

A wrong value stops the process with a message naming the variable and what it accepts
(`service_runtime.config.ConfigurationError`).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict
from service_runtime.config import AwsClientSettings, ServiceSettings
from service_runtime.config import load_settings as load_service_settings


class Settings(ServiceSettings, AwsClientSettings):
    """Every variable the service reads. The README's configuration table mirrors this."""

    model_config = SettingsConfigDict(env_prefix="DEPOT_", extra="ignore", frozen=True)
    DISTRIBUTION: ClassVar[str] = "depot"

    table_name: str = Field(min_length=3, max_length=255, pattern=r"^[A-Za-z0-9_.-]+$")
    bucket_name: str = Field(min_length=3, max_length=63, pattern=r"^[a-z0-9][a-z0-9.-]+[a-z0-9]$")
    keys_secret_id: str = Field(min_length=1, max_length=2048)
    s3_kms_key_id: str | None = None
    s3_prefix: str = Field("tenants", pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")

    keys_refresh_seconds: float = Field(30.0, ge=0.1, le=3600)
    max_content_bytes: int = Field(100 * 1024 * 1024, ge=1)
    multipart_part_bytes: int = Field(8 * 1024 * 1024, ge=5 * 1024 * 1024, le=512 * 1024 * 1024)
    body_timeout_seconds: float = Field(60.0, gt=0, le=3600)
    max_json_bytes: int = Field(64 * 1024, ge=1024, le=1024 * 1024)
    max_header_bytes: int = Field(16 * 1024, ge=1024, le=1024 * 1024)
    idempotency_ttl_seconds: int = Field(86400, ge=60, le=30 * 86400)
    idempotency_lease_seconds: int = Field(60, ge=1, le=3600)
    presign_ttl_seconds: int = Field(300, ge=1, le=7 * 86400)
    # The resource governor (docs/adr/0007-resource-governor.md).
    upload_slots: int = Field(0, ge=0, le=10_000)  # 0: derived from the memory limit
    memory_limit_bytes: int | None = Field(None, ge=64 * 1024 * 1024)
    memory_reserved_bytes: int = Field(192 * 1024 * 1024, ge=0)
    # Noisy neighbours (docs/adr/0008): per pod, per tenant. 0 switches the limit off.
    tenant_rate_per_second: float = Field(200.0, ge=0, le=100_000)
    tenant_burst: int = Field(400, ge=1, le=1_000_000)
    tenant_quota_bytes: int = Field(0, ge=0)  # stored content per tenant; 0: unlimited

    pending_ttl_seconds: int = Field(3600, ge=60)

    @model_validator(mode="after")
    def _part_size_fits_limit(self) -> Settings:
        if self.multipart_part_bytes > 5 * 1024 * 1024 * 1024:
            raise ValueError("DEPOT_MULTIPART_PART_BYTES must be at most 5 GiB (S3's part limit)")
        return self


def load_settings() -> Settings:
    """depot's settings from the environment (ConfigurationError names each bad variable)."""
    return load_service_settings(Settings)
