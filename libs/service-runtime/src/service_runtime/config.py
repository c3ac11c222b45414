"""Settings every service reads, and the start-up error that names each bad variable.

A service subclasses `ServiceSettings` (and `AwsClientSettings` when it calls AWS), sets
its own `env_prefix` and `DISTRIBUTION`, and adds its own fields. A wrong value stops
the process with a message naming the variable and what it accepts (`ConfigurationError`)
instead of failing later on a request path.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Any, ClassVar, Literal

from pydantic import AliasChoices, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


def installed_version(distribution: str) -> str:
    try:
        return package_version(distribution)
    except PackageNotFoundError:  # running from a source tree without installing
        return "0.0.0+unknown"


class ServiceSettings(BaseSettings):
    """Listening, draining, logging and build identity: what the chart sets for any service.

    The drain and shutdown defaults are the ones the chart's timings assume
    (terminationGracePeriodSeconds > preStop + drain + shutdown, ADR 0005).
    """

    model_config = SettingsConfigDict(extra="ignore", frozen=True)
    # The distribution whose installed version is the default of `version`.
    DISTRIBUTION: ClassVar[str] = "service-runtime"
    # Unprefixed variables read when the prefixed one is unset: platforms set PORT, and
    # the platform's one image (services/Dockerfile) sets SERVICE_VERSION/REVISION.
    ENV_FALLBACKS: ClassVar[Mapping[str, str]] = {
        "port": "PORT",
        "version": "SERVICE_VERSION",
        "revision": "SERVICE_REVISION",
    }

    # Listening and logging.
    host: str = "0.0.0.0"  # noqa: S104 - a container listens on all interfaces
    port: int = Field(8080, ge=1, le=65535)
    keepalive_seconds: int = Field(75, ge=1, le=3600)
    log_level: LogLevel = "INFO"
    # The drain sequence (service_runtime.server).
    drain_seconds: float = Field(5.0, ge=0, le=600)
    shutdown_timeout_seconds: float = Field(10.0, ge=0, le=600)
    # Dependencies: how often they are probed, how long a 503 asks clients to wait.
    dependency_check_seconds: float = Field(10.0, ge=0.1, le=600)
    retry_after_seconds: int = Field(5, ge=1, le=3600)
    # Unset: the installed version of DISTRIBUTION, filled in by _fallbacks_and_version
    # (a default_factory cannot see which subclass is being built).
    version: str = Field(default_factory=str)
    revision: str = "unknown"

    @model_validator(mode="before")
    @classmethod
    def _fallbacks_and_version(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        for field, variable in cls.ENV_FALLBACKS.items():
            if field not in data and os.environ.get(variable):
                data[field] = os.environ[variable]
        if not data.get("version"):
            data["version"] = installed_version(cls.DISTRIBUTION)
        return data

    @classmethod
    def env_names(cls, field: str) -> list[str]:
        """The variables an operator sets for `field`, in the order they are read."""
        info = cls.model_fields.get(field)
        if info is not None and isinstance(info.validation_alias, AliasChoices):
            return [str(choice) for choice in info.validation_alias.choices]
        prefix = str(cls.model_config.get("env_prefix", ""))
        fallback = cls.ENV_FALLBACKS.get(field)
        return [f"{prefix}{field.upper()}", *([fallback] if fallback else [])]


class AwsClientSettings(BaseSettings):
    """What the AWS client factory needs (service_runtime.aws): timeouts, retries, pool,
    breaker and the request deadline that bounds queueing for a worker."""

    aws_region: str = Field(
        validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION"),
        pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$",
    )
    aws_connect_timeout_seconds: float = Field(1.0, gt=0, le=30)
    aws_read_timeout_seconds: float = Field(3.0, gt=0, le=120)
    aws_max_attempts: int = Field(2, ge=1, le=5)
    aws_max_pool_connections: int = Field(32, ge=1, le=512)
    breaker_failure_threshold: int = Field(5, ge=1, le=1000)
    breaker_open_seconds: float = Field(2.0, ge=0.1, le=300)
    request_deadline_seconds: float = Field(10.0, gt=0, le=600)


class ConfigurationError(Exception):
    """Start-up configuration is invalid; the message is meant for an operator."""


def _variable_name(settings: type[ServiceSettings], loc: tuple[int | str, ...]) -> str:
    """The variable(s) an operator sets for the field at `loc` (errors name an alias)."""
    name = str(loc[0]) if loc else "?"
    for field, info in settings.model_fields.items():
        aliases = info.validation_alias
        if isinstance(aliases, AliasChoices) and name in [str(c) for c in aliases.choices]:
            return " or ".join(settings.env_names(field))
    return " or ".join(settings.env_names(name))


def load_settings[S: ServiceSettings](settings: type[S]) -> S:
    """Read and validate the environment; raise ConfigurationError naming each bad variable."""
    try:
        return settings()  # values come from the environment
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = _variable_name(settings, tuple(error["loc"]))
            problem = "is required but not set" if error["type"] == "missing" else error["msg"]
            given = error.get("input")
            shown = (
                "" if error["type"] == "missing" or isinstance(given, dict) else f" (got {given!r})"
            )
            lines.append(f"  {name}: {problem}{shown}")
        message = "invalid configuration; fix these environment variables:\n" + "\n".join(lines)
        raise ConfigurationError(message) from None


def settings_or_exit[S: ServiceSettings](settings: type[S], program: str) -> S:
    """A process's first step: the settings, or the operator's message on stderr and exit
    code 2 (a configuration that cannot work is not retried by starting again)."""
    try:
        return load_settings(settings)
    except ConfigurationError as exc:
        print(f"{program}: {exc}", file=sys.stderr)
        sys.exit(2)
