"""One conformance run: the chart rendered for the service, an AWS emulator with the
contract's resources, the image started as the chart runs it, then every check."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions

from tests.container.podman import Podman
from tests.support.moto import MOTO_ENV, MotoServer, start_moto
from tools.conformance import chart, container, logs, metrics
from tools.conformance.configuration import check_configuration
from tools.conformance.contract import Contract, ContractError
from tools.conformance.drain import check_drain
from tools.conformance.findings import Finding
from tools.conformance.http import status
from tools.conformance.image import check_user
from tools.conformance.probes import check_probes


def provision(contract: Contract, endpoint_url: str) -> None:
    session = boto3.session.Session(
        region_name=contract.region,
        aws_access_key_id=MOTO_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=MOTO_ENV["AWS_SECRET_ACCESS_KEY"],
    )
    for number, call in enumerate(contract.resources):
        try:
            client: Any = session.client(call.service, endpoint_url=endpoint_url)
            getattr(client, call.operation)(**call.parameters)
        except (
            botocore.exceptions.BotoCoreError,
            botocore.exceptions.ClientError,
            AttributeError,
            TypeError,
        ) as error:
            raise ContractError(
                f"{contract.path}: aws.resources[{number}] {call.service}.{call.operation} "
                f"failed on the emulator: {error}"
            ) from None


def service_env(contract: Contract, run: chart.ChartRun, moto: MotoServer) -> dict[str, str]:
    """The chart's environment, the contract's, and the emulator as the AWS endpoint."""
    return {
        "AWS_REGION": contract.region,
        **run.env,
        **contract.env,
        "AWS_ENDPOINT_URL": f"http://{container.HOST_FROM_CONTAINER}:{moto.port}",
        "AWS_ACCESS_KEY_ID": MOTO_ENV["AWS_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": MOTO_ENV["AWS_SECRET_ACCESS_KEY"],
    }


def conform(podman: Podman, helm: str, image: str, contract: Contract) -> list[Finding]:
    manifests = chart.render(helm, contract.service, contract.port, contract.values)
    run = chart.chart_run(manifests)
    needed = (
        metrics.worker_requirements(contract.service)
        if contract.workload == "worker"
        else metrics.requirements(metrics.slo_exprs(manifests, contract.service))
    )
    findings = [check_user(podman.inspect_image(image), run)]
    with tempfile.TemporaryDirectory(prefix="conformance-") as workdir:
        moto = start_moto(Path(workdir))
        try:
            provision(contract, moto.url)
            env = service_env(contract, run, moto)
            ports = {run.port, run.startup.port, run.liveness.port, run.readiness.port}
            target = container.start(podman, image, run.hardening, env, ports)
            try:
                findings += _serve_and_drain(podman, target, run, needed)
            finally:
                podman.remove(target.name)
            findings += check_configuration(podman, image, run, contract, env)
        finally:
            moto.stop()
    return findings


def _serve_and_drain(
    podman: Podman,
    target: container.Running,
    run: chart.ChartRun,
    needed: dict[str, metrics.Requirement],
) -> list[Finding]:
    findings = check_probes(podman, target, run)
    if not all(f.ok for f in findings):
        stdout, stderr = container.output(podman, target.name)
        return [*findings, *logs.check_logs(stdout, stderr)]
    # Requests first, so request metrics have series to show.
    for probe in (run.liveness, run.readiness):
        status(target.url(probe.port, probe.path), probe.timeout_seconds)
    findings += metrics.check_endpoint(target.url(run.port, run.metrics_path), needed)
    findings += check_drain(podman, target, run)
    stdout, stderr = container.output(podman, target.name)
    return [*findings, *logs.check_logs(stdout, stderr)]


def summary(findings: list[Finding]) -> str:
    bad = sum(not f.ok for f in findings)
    return f"conformance: {len(findings) - bad} passed, {bad} failed"
