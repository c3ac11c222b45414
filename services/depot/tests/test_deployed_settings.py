"""What GitOps deploys is a configuration the service accepts.

The environment variables of each environment (gitops/services/depot.yaml, then
gitops/environments/<env>/depot.yaml, as the chart merges them) are loaded through the
service's own validation, so a value the service would refuse at start-up (a quota
written as "10GiB", a negative rate) fails here instead of crash-looping a rollout.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from service_runtime.config import ConfigurationError

from depot.config import Settings, load_settings

REPOSITORY = Path(__file__).resolve().parents[3]
GITOPS = REPOSITORY / "gitops"
ENVIRONMENTS = sorted(p.name for p in (GITOPS / "environments").iterdir() if p.is_dir())
# Per-tenant limits must be chosen per environment (ADR 0008), not left to the defaults.
PER_ENVIRONMENT = ("DEPOT_TENANT_RATE_PER_SECOND", "DEPOT_TENANT_BURST", "DEPOT_TENANT_QUOTA_BYTES")


def deployed_env(environment: str) -> dict[str, str]:
    shared = yaml.safe_load((GITOPS / "services" / "depot.yaml").read_text())
    own = yaml.safe_load((GITOPS / "environments" / environment / "depot.yaml").read_text())
    return {k: str(v) for k, v in {**shared.get("env", {}), **own.get("env", {})}.items()}


def load_with(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Settings:
    for name in [n for n in os.environ if n.startswith("DEPOT_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings()


def test_there_are_environments() -> None:
    assert {"dev", "staging", "prod"} <= set(ENVIRONMENTS)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_each_environment_sets_its_tenant_limits(environment: str) -> None:
    env = deployed_env(environment)
    assert [name for name in PER_ENVIRONMENT if name not in env] == []


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_each_environment_is_a_configuration_the_service_accepts(
    environment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_with(monkeypatch, deployed_env(environment))
    env = deployed_env(environment)
    assert settings.tenant_rate_per_second == float(env["DEPOT_TENANT_RATE_PER_SECOND"])
    assert settings.tenant_quota_bytes == int(env["DEPOT_TENANT_QUOTA_BYTES"])


def test_a_limit_the_service_would_refuse_is_caught_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {**deployed_env("prod"), "DEPOT_TENANT_QUOTA_BYTES": "10GiB"}
    with pytest.raises(ConfigurationError, match="DEPOT_TENANT_QUOTA_BYTES"):
        load_with(monkeypatch, env)
