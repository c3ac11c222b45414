"""Configuration from environment variables, validated once at start-up.

A wrong value stops the process with a message naming the variable and what it accepts
(`ConfigurationError`), instead of failing later on a request path.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Literal

from pydantic import AliasChoices, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


def _installed_version() -> str:
    try:
        return package_version("depot")
    except PackageNotFoundError:  # running from a source tree without installing
        return "0.0.0+unknown"


class Settings(BaseSettings):
    """Every variable the service reads. The README's configuration table mirrors this."""

    model_config = SettingsConfigDict(env_prefix="DEPOT_", extra="ignore", frozen=True)

    host: str = "0.0.0.0"  # noqa: S104 - a container listens on all interfaces
    port: int = Field(8080, ge=1, le=65535, validation_alias=AliasChoices("DEPOT_PORT", "PORT"))

    table_name: str = Field(min_length=3, max_length=255, pattern=r"^[A-Za-z0-9_.-]+$")
    bucket_name: str = Field(min_length=3, max_length=63, pattern=r"^[a-z0-9][a-z0-9.-]+[a-z0-9]$")
    keys_secret_id: str = Field(min_length=1, max_length=2048)
    s3_kms_key_id: str | None = None
    s3_prefix: str = Field("tenants", pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")

    aws_region: str = Field(
        validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION"),
        pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$",
    )
    aws_connect_timeout_seconds: float = Field(1.0, gt=0, le=30)
    aws_read_timeout_seconds: float = Field(3.0, gt=0, le=120)
    aws_max_attempts: int = Field(2, ge=1, le=5)
    aws_max_pool_connections: int = Field(32, ge=1, le=512)

    keys_refresh_seconds: float = Field(30.0, ge=0.1, le=3600)
    max_content_bytes: int = Field(100 * 1024 * 1024, ge=1)
    multipart_part_bytes: int = Field(8 * 1024 * 1024, ge=5 * 1024 * 1024, le=512 * 1024 * 1024)
    body_timeout_seconds: float = Field(60.0, gt=0, le=3600)
    max_json_bytes: int = Field(64 * 1024, ge=1024, le=1024 * 1024)
    max_header_bytes: int = Field(16 * 1024, ge=1024, le=1024 * 1024)
    idempotency_ttl_seconds: int = Field(86400, ge=60, le=30 * 86400)
    idempotency_lease_seconds: int = Field(60, ge=1, le=3600)
    presign_ttl_seconds: int = Field(300, ge=1, le=7 * 86400)
    dependency_check_seconds: float = Field(10.0, ge=0.1, le=600)
    breaker_failure_threshold: int = Field(5, ge=1, le=1000)
    breaker_open_seconds: float = Field(2.0, ge=0.1, le=300)
    retry_after_seconds: int = Field(5, ge=1, le=3600)
    keepalive_seconds: int = Field(75, ge=1, le=3600)
    # The resource governor (docs/adr/0007-resource-governor.md).
    request_deadline_seconds: float = Field(10.0, gt=0, le=600)
    upload_slots: int = Field(0, ge=0, le=10_000)  # 0: derived from the memory limit
    memory_limit_bytes: int | None = Field(None, ge=64 * 1024 * 1024)
    memory_reserved_bytes: int = Field(192 * 1024 * 1024, ge=0)
    # Noisy neighbours (docs/adr/0008): per pod, per tenant. 0 switches the limit off.
    tenant_rate_per_second: float = Field(200.0, ge=0, le=100_000)
    tenant_burst: int = Field(400, ge=1, le=1_000_000)
    tenant_quota_bytes: int = Field(0, ge=0)  # stored content per tenant; 0: unlimited

    drain_seconds: float = Field(5.0, ge=0, le=600)
    shutdown_timeout_seconds: float = Field(10.0, ge=0, le=600)
    pending_ttl_seconds: int = Field(3600, ge=60)

    log_level: LogLevel = "INFO"
    version: str = Field(default_factory=_installed_version)
    revision: str = "unknown"

    @model_validator(mode="after")
    def _part_size_fits_limit(self) -> Settings:
        if self.multipart_part_bytes > 5 * 1024 * 1024 * 1024:
            raise ValueError("DEPOT_MULTIPART_PART_BYTES must be at most 5 GiB (S3's part limit)")
        return self


class ConfigurationError(Exception):
    """Start-up configuration is invalid; the message is meant for an operator."""


def _variable_name(loc: tuple[int | str, ...]) -> str:
    """The variable(s) an operator sets for the field at `loc` (errors name an alias)."""
    name = str(loc[0]) if loc else "?"
    for info in Settings.model_fields.values():
        if isinstance(info.validation_alias, AliasChoices):
            choices = [str(choice) for choice in info.validation_alias.choices]
            if name in choices:
                return " or ".join(choices)
    return f"DEPOT_{name.upper()}"


def load_settings() -> Settings:
    """Read and validate the environment; raise ConfigurationError naming each bad variable."""
    try:
        return Settings()  # values come from the environment
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = _variable_name(tuple(error["loc"]))
            problem = "is required but not set" if error["type"] == "missing" else error["msg"]
            given = error.get("input")
            shown = (
                "" if error["type"] == "missing" or isinstance(given, dict) else f" (got {given!r})"
            )
            lines.append(f"  {name}: {problem}{shown}")
        message = "invalid configuration; fix these environment variables:\n" + "\n".join(lines)
        raise ConfigurationError(message) from None
