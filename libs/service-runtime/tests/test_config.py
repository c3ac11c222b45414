"""Settings every service reads, and the configuration error naming each bad variable."""

from __future__ import annotations

from typing import ClassVar

import pytest
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from service_runtime.config import (
    AwsClientSettings,
    ConfigurationError,
    ServiceSettings,
    load_settings,
    settings_or_exit,
)


class ExampleSettings(ServiceSettings, AwsClientSettings):
    """A second service: its prefix, its distribution, one field of its own."""

    model_config = SettingsConfigDict(env_prefix="EXAMPLE_", extra="ignore", frozen=True)
    DISTRIBUTION: ClassVar[str] = "service-runtime"
    queue_name: str = Field(min_length=3)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        *("PORT", "EXAMPLE_PORT", "EXAMPLE_QUEUE_NAME", "AWS_REGION", "AWS_DEFAULT_REGION"),
        *("SERVICE_VERSION", "SERVICE_REVISION", "EXAMPLE_VERSION", "EXAMPLE_REVISION"),
    ):
        monkeypatch.delenv(name, raising=False)


def test_a_valid_environment_loads_with_the_chart_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EXAMPLE_QUEUE_NAME", "jobs")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    settings = load_settings(ExampleSettings)
    assert settings.queue_name == "jobs"
    assert (settings.port, settings.drain_seconds, settings.shutdown_timeout_seconds) == (
        8080,
        5.0,
        10.0,
    )
    assert settings.version  # the installed distribution's version, never empty


def test_errors_name_every_bad_variable_with_the_value_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EXAMPLE_DRAIN_SECONDS", "-1")
    monkeypatch.setenv("AWS_REGION", "Europe")
    with pytest.raises(ConfigurationError) as caught:
        load_settings(ExampleSettings)
    message = str(caught.value)
    assert message.startswith("invalid configuration; fix these environment variables:")
    assert "EXAMPLE_QUEUE_NAME: is required but not set" in message
    assert "EXAMPLE_DRAIN_SECONDS" in message and "(got '-1')" in message
    assert "AWS_REGION or AWS_DEFAULT_REGION" in message and "'Europe'" in message


def test_port_falls_back_to_the_platform_port_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXAMPLE_QUEUE_NAME", "jobs")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("PORT", "9000")
    assert load_settings(ExampleSettings).port == 9000
    monkeypatch.setenv("EXAMPLE_PORT", "9100")  # the service's own variable wins
    assert load_settings(ExampleSettings).port == 9100
    monkeypatch.setenv("EXAMPLE_PORT", "0")
    with pytest.raises(ConfigurationError, match="EXAMPLE_PORT or PORT"):
        load_settings(ExampleSettings)


def test_build_identity_falls_back_to_the_image_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The one image of every service (services/Dockerfile) sets SERVICE_VERSION and
    SERVICE_REVISION; the service's own prefixed variables still win."""
    monkeypatch.setenv("EXAMPLE_QUEUE_NAME", "jobs")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("SERVICE_VERSION", "1.2.3")
    monkeypatch.setenv("SERVICE_REVISION", "abc123")
    settings = load_settings(ExampleSettings)
    assert (settings.version, settings.revision) == ("1.2.3", "abc123")
    monkeypatch.setenv("EXAMPLE_REVISION", "def456")
    assert load_settings(ExampleSettings).revision == "def456"


def test_env_names_follow_the_prefix_aliases_and_fallbacks() -> None:
    assert ExampleSettings.env_names("queue_name") == ["EXAMPLE_QUEUE_NAME"]
    assert ExampleSettings.env_names("port") == ["EXAMPLE_PORT", "PORT"]
    assert ExampleSettings.env_names("aws_region") == ["AWS_REGION", "AWS_DEFAULT_REGION"]


def test_a_process_with_a_bad_variable_exits_2_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    with pytest.raises(SystemExit) as stopped:
        settings_or_exit(ExampleSettings, "example")
    assert stopped.value.code == 2
    assert capsys.readouterr().err.startswith(
        "example: invalid configuration; fix these environment variables:\n"
        "  EXAMPLE_QUEUE_NAME: is required but not set"
    )
    monkeypatch.setenv("EXAMPLE_QUEUE_NAME", "jobs")
    assert settings_or_exit(ExampleSettings, "example").queue_name == "jobs"
