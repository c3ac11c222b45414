"""Bad values fail rendering with a message that names the field and the fix."""

from __future__ import annotations

import pytest

from tests.chart.rendering import RenderError, helm_template, own_combo


def _fails(helm: str, env: str, *overrides: str) -> str:
    args = own_combo(env).helm_args()
    for override in overrides:
        flag, _, value = override.partition(" ")
        args += [flag, value]
    with pytest.raises(RenderError) as caught:
        helm_template(helm, args)
    return caught.value.stderr


CASES = [
    pytest.param(
        "prod", ["--set image.tag=latest"], "image.tag must not be 'latest'", id="latest-tag"
    ),
    pytest.param("prod", ["--set image.tag="], "image.tag is empty", id="empty-tag"),
    pytest.param(
        "dev", ["--set ingress.paths={/metrics}"], "/ingress/paths/0", id="metrics-on-public-alb"
    ),
    pytest.param(
        "prod",
        ["--set image.digest="],
        "image.digest is empty: set the sha256 digest",
        id="no-digest",
    ),
    pytest.param("dev", ["--set image.digest=sha256:abc"], "/image/digest", id="malformed-digest"),
    pytest.param(
        "dev",
        ["--set replicas=3"],
        "additional properties 'replicas' not allowed",
        id="unknown-key",
    ),
    pytest.param(
        "dev",
        ["--set ingress.tlsPolicy=x"],
        "additional properties 'tlsPolicy' not allowed",
        id="unknown-nested-key",
    ),
    pytest.param("dev", ["--set-string replicaCount=three"], "replicaCount", id="wrong-type"),
    pytest.param(
        "dev",
        ["--set ingress.deregistrationDelaySeconds=20"],
        "ingress.deregistrationDelaySeconds (20) must be <= shutdown.preStopSeconds",
        id="deregistration-longer-than-serving",
    ),
    pytest.param(
        "dev",
        ["--set terminationGracePeriodSeconds=25"],
        "terminationGracePeriodSeconds (25) must be >",
        id="grace-too-short",
    ),
    pytest.param(
        "dev",
        ["--set probes.readiness.periodSeconds=10"],
        "probes.readiness.periodSeconds x failureThreshold (10 s) must be <= shutdown.drainSeconds",
        id="readiness-slower-than-drain",
    ),
    pytest.param(
        "dev",
        ["--set-string env.DEPOT_DRAIN_SECONDS=5"],
        "env.DEPOT_DRAIN_SECONDS is set by the chart from shutdown.*",
        id="timing-set-twice",
    ),
    pytest.param(
        "dev",
        ["--set replicaCount=1"],
        "replicaCount is 1 with pdb.enabled",
        id="single-replica-with-pdb",
    ),
    pytest.param(
        "prod",
        ["--set autoscaling.minReplicas=30"],
        "autoscaling.minReplicas (30) must be <= autoscaling.maxReplicas (20)",
        id="min-above-max",
    ),
    pytest.param(
        "dev",
        ["--set-json networkPolicy.ingressCidrs=[]"],
        "networkPolicy.ingressCidrs is empty while ingress is enabled",
        id="alb-cannot-reach-pods",
    ),
    pytest.param(
        "dev", ["--set ingress.certificateArn="], "ingress.certificateArn is empty", id="no-cert"
    ),
    pytest.param(
        "dev",
        ["--set monitoring.slo.latencySeconds=0.2"],
        "latencySeconds",
        id="latency-not-a-bucket",
    ),
    pytest.param("dev", ["--set profile=gold"], "profile", id="unknown-profile"),
    pytest.param(
        "dev",
        ["--set serviceAccount.roleArn=depot-dev"],
        "roleArn",
        id="role-not-an-arn",
    ),
    pytest.param("dev", ["--set runAsUser=0"], "runAsUser", id="root-user"),
    pytest.param(
        "dev",
        ['--set-json externalSecret={"enabled":true}'],
        "externalSecret.data is empty",
        id="external-secret-without-data",
    ),
]


@pytest.mark.parametrize(("env", "overrides", "message"), CASES)
def test_bad_values_fail_with_a_clear_message(
    helm: str, env: str, overrides: list[str], message: str
) -> None:
    assert message in _fails(helm, env, *overrides)


def test_the_same_environment_renders_without_the_bad_value(helm: str) -> None:
    """Control: the failures above come from the override, not from the environment."""
    assert helm_template(helm, own_combo("prod").helm_args())
