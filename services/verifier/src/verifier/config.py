"""verifier's configuration: the platform's common settings plus the worker's own, read
from VERIFIER_* variables and validated once at start-up (a wrong value stops the process
with `service_runtime.config.ConfigurationError` naming the variable)."""

from __future__ import annotations

import math
from typing import ClassVar

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict
from service_runtime.config import AwsClientSettings, ServiceSettings
from service_runtime.config import load_settings as load_service_settings

# SQS's limits: a visibility timeout of at most 12 hours, a long poll of at most 20 s.
MAX_VISIBILITY_SECONDS = 43200
MAX_WAIT_SECONDS = 20


class Settings(ServiceSettings, AwsClientSettings):
    """Every variable the worker reads. The README's configuration table mirrors this."""

    model_config = SettingsConfigDict(env_prefix="VERIFIER_", extra="ignore", frozen=True)
    DISTRIBUTION: ClassVar[str] = "verifier"

    queue_url: str = Field(min_length=8, max_length=2048, pattern=r"^https?://")
    table_name: str = Field(min_length=3, max_length=255, pattern=r"^[A-Za-z0-9_.-]+$")
    bucket_name: str = Field(min_length=3, max_length=63, pattern=r"^[a-z0-9][a-z0-9.-]+[a-z0-9]$")
    s3_prefix: str = Field("tenants", pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")

    # The same limit as depot's DEPOT_MAX_CONTENT_BYTES: the largest object to verify.
    max_content_bytes: int = Field(100 * 1024 * 1024, ge=1)
    # The slowest read of S3 the worker must still finish in time (bytes per second);
    # with the limit above it gives the longest verification.
    min_read_bytes_per_second: int = Field(1024 * 1024, ge=1024)
    # Fixed cost of one message on top of the read: record, verdict, delete.
    overhead_seconds: float = Field(30.0, ge=0, le=3600)
    # Must exceed the longest verification (checked below) and equal the queue's own
    # visibility_timeout_seconds (infra/modules/event-queue); each receive asks for it.
    visibility_timeout_seconds: int = Field(900, ge=1, le=MAX_VISIBILITY_SECONDS)
    wait_seconds: int = Field(10, ge=0, le=MAX_WAIT_SECONDS)
    # A message for an object whose record does not point at it yet (depot commits the
    # record just after the object) comes back after this many seconds.
    retry_delay_seconds: int = Field(5, ge=0, le=MAX_VISIBILITY_SECONDS)

    @property
    def longest_verification_seconds(self) -> float:
        return self.max_content_bytes / self.min_read_bytes_per_second + self.overhead_seconds

    @model_validator(mode="after")
    def _visibility_outlasts_verification(self) -> Settings:
        # A shorter timeout hands a message still being verified to a second worker
        # (duplicate work, and a receive counted towards the dead-letter queue).
        longest = math.ceil(self.longest_verification_seconds)
        if self.visibility_timeout_seconds <= longest:
            raise ValueError(
                f"VERIFIER_VISIBILITY_TIMEOUT_SECONDS ({self.visibility_timeout_seconds}) must "
                f"exceed the longest verification, {longest} s (VERIFIER_MAX_CONTENT_BYTES / "
                "VERIFIER_MIN_READ_BYTES_PER_SECOND + VERIFIER_OVERHEAD_SECONDS)"
            )
        return self


def load_settings() -> Settings:
    """The worker's settings from the environment (ConfigurationError names each bad one)."""
    return load_service_settings(Settings)
