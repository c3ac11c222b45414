"""The verifier, an event-driven worker, deployed with the same generic chart: rendered
the way Argo CD renders it for every environment x profile, checked against the
Kubernetes and operator schemas, and held to what a worker needs (no ingress, its own
IRSA role, a KEDA aws-sqs-queue trigger read with KEDA's own identity, scale to zero in
dev, a PDB only where there are workers to protect, a grace period that covers the
message in hand)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.chart import kube_schema
from tests.chart.rendering import (
    ENVIRONMENTS,
    GITOPS,
    PROFILES,
    Manifest,
    RenderError,
    by_kind,
    helm_template,
    one,
)
from tests.chart.test_schemas import _validate_crs

SERVICE = "verifier"
# The worker's longest stop (ADR 0093): its drain, one long poll, the longest verification
# at its defaults (100 MiB at 1 MiB/s + 30 s overhead).
LONGEST_VERIFICATION_SECONDS = 100 + 30
LONG_POLL_SECONDS = 10
_cache: dict[tuple[str, str], list[Manifest]] = {}


def value_files(env: str, profile: str) -> list[Path]:
    return [
        GITOPS / "services" / f"{SERVICE}.yaml",
        GITOPS / "profiles" / f"{profile}.yaml",
        GITOPS / "environments" / env / f"{SERVICE}.yaml",
    ]


def environment_values(env: str) -> dict[str, Any]:
    values: dict[str, Any] = yaml.safe_load(value_files(env, "ha")[2].read_text())
    return values


def _value_args(env: str, profile: str) -> list[str]:
    return [arg for path in value_files(env, profile) for arg in ("-f", str(path))]


def render_worker(helm: str, env: str, profile: str) -> list[Manifest]:
    """The worker as Argo CD renders it, cached per combination."""
    key = (env, profile)
    if key not in _cache:
        _cache[key] = helm_template(helm, _value_args(env, profile), SERVICE, SERVICE)
    return _cache[key]


def render_error(helm: str, *extra: str) -> str:
    """The chart's refusal of dev's values with `extra` overrides."""
    try:
        helm_template(helm, [*_value_args("dev", "cost-optimized"), *extra], SERVICE, SERVICE)
    except RenderError as error:
        return error.stderr
    raise AssertionError("the chart rendered values it must refuse")


COMBOS = [(env, profile) for env in ENVIRONMENTS for profile in PROFILES]


@pytest.mark.parametrize(("env", "profile"), COMBOS, ids=[f"{e}-{p}" for e, p in COMBOS])
def test_the_worker_renders_for_every_environment_and_profile(
    helm: str, env: str, profile: str
) -> None:
    manifests = render_worker(helm, env, profile)
    builtin = [m for m in manifests if kube_schema.is_builtin(m["apiVersion"])]
    for version in kube_schema.SUPPORTED_VERSIONS:
        problems = {
            f"{m['kind']}/{m['metadata']['name']}": kube_schema.errors(m, version) for m in builtin
        }
        assert not {k: v for k, v in problems.items() if v}, (version, problems)
    custom = [m for m in manifests if not kube_schema.is_builtin(m["apiVersion"])]
    result = _validate_crs(custom)
    assert result.returncode == 0, result.stdout + result.stderr
    assert by_kind(manifests, "Ingress") == [], "a worker has no ingress"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_worker_scales_on_its_queue_with_kedas_own_identity(helm: str, env: str) -> None:
    values = environment_values(env)
    manifests = render_worker(helm, env, str(values["profile"]))
    scaled = one(manifests, "ScaledObject")
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "aws-sqs-queue"
    assert trigger["metricType"] == "AverageValue"
    # The scaler's metadata keys of KEDA v2.17.2 (pkg/scalers/aws_sqs_queue_scaler.go).
    assert set(trigger["metadata"]) == {
        "queueURL",
        "awsRegion",
        "queueLength",
        "activationQueueLength",
    }
    assert trigger["metadata"]["queueURL"] == values["env"]["VERIFIER_QUEUE_URL"]
    assert trigger["metadata"]["queueURL"].endswith(f"/verifier-{env}")
    auth = one(manifests, "TriggerAuthentication")
    assert trigger["authenticationRef"] == {"name": auth["metadata"]["name"]}
    # KEDA's operator role (ADR 0028: GetQueueAttributes only), never the worker's.
    assert auth["spec"] == {"podIdentity": {"provider": "aws", "identityOwner": "keda"}}
    account = values["env"]["VERIFIER_QUEUE_URL"].split("/")[3]
    account_sa = one(manifests, "ServiceAccount")
    assert account_sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == (
        f"arn:aws:iam::{account}:role/verifier-{env}"
    ), "event-worker-identity's role, named <service>-<environment>"
    pdbs = by_kind(manifests, "PodDisruptionBudget")
    if env == "dev":
        assert scaled["spec"]["minReplicaCount"] == 0, "scale to zero in dev"
        assert pdbs == [], "a PDB over zero or one worker protects nothing"
    else:
        assert scaled["spec"]["minReplicaCount"] >= 2
        assert [p["spec"]["maxUnavailable"] for p in pdbs] == [1]
    assert by_kind(manifests, "Rollout") == [], "no blue/green: two versions on one queue"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_grace_period_covers_the_message_in_hand(helm: str, env: str) -> None:
    manifests = render_worker(helm, env, str(environment_values(env)["profile"]))
    pod = one(manifests, "Deployment")["spec"]["template"]["spec"]
    container = pod["containers"][0]
    env_vars = {e["name"]: e.get("value") for e in container["env"]}
    drain = float(env_vars["VERIFIER_DRAIN_SECONDS"])
    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    needed = pre_stop + drain + LONG_POLL_SECONDS + LONGEST_VERIFICATION_SECONDS
    assert pod["terminationGracePeriodSeconds"] > needed


def test_scale_to_zero_needs_the_queue_trigger(helm: str) -> None:
    stderr = render_error(helm, "--set", "autoscaling.sqsQueue.enabled=false")
    assert "autoscaling.minReplicas is 0 without autoscaling.sqsQueue" in stderr


def test_the_queue_trigger_needs_its_queue(helm: str) -> None:
    stderr = render_error(helm, "--set", "autoscaling.sqsQueue.queueURL=")
    assert "autoscaling.sqsQueue needs queueURL and awsRegion" in stderr


def test_a_trigger_authentication_with_another_identity_owner_is_refused(helm: str) -> None:
    auth = copy.deepcopy(one(render_worker(helm, "dev", "cost-optimized"), "TriggerAuthentication"))
    auth["spec"]["podIdentity"]["identityOwner"] = "operator"  # the deprecated metadata value
    result = _validate_crs([auth])
    assert result.returncode == 1
    assert "identityOwner operator is neither keda nor workload" in result.stdout
