"""The checks and what they derive, without a container: the contract file, the run the
chart's render gives (hardening, probes, timings), the metrics contract from the SLO
rules, the log contract from the pipeline, and the verdicts on given answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from tests.conformance.conftest import DEPOT_CONTRACT, TOY_CONTRACT
from tests.container.depot_container import HARDENING
from tests.reliability.timings import chart_timings
from tests.support.moto import MOTO_ENV, MotoServer
from tools.conformance import chart, logs, metrics
from tools.conformance.chart import ChartError, ChartRun
from tools.conformance.configuration import cases
from tools.conformance.contract import ContractError, load_contract
from tools.conformance.image import check_user
from tools.conformance.run import provision

_KEYS = {
    "aws_access_key_id": MOTO_ENV["AWS_ACCESS_KEY_ID"],
    "aws_secret_access_key": MOTO_ENV["AWS_SECRET_ACCESS_KEY"],
}


@pytest.fixture(scope="module")
def depot_manifests(helm: str) -> list[dict[str, Any]]:
    contract = load_contract(DEPOT_CONTRACT)
    return chart.render(helm, contract.service, contract.port, contract.values)


@pytest.fixture(scope="module")
def depot_run(depot_manifests: list[dict[str, Any]]) -> ChartRun:
    return chart.chart_run(depot_manifests)


# --- the contract file -----------------------------------------------------------------


def test_the_contracts_in_the_repository_load() -> None:
    assert load_contract(DEPOT_CONTRACT).missing == ("DEPOT_TABLE_NAME",)
    assert load_contract(TOY_CONTRACT).port == 8080


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    data.pop("values", None)  # relative to the toy's folder, not to tmp_path
    path = tmp_path / "conformance.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_a_contract_off_the_schema_is_refused_naming_the_field(tmp_path: Path) -> None:
    data = yaml.safe_load(TOY_CONTRACT.read_text())
    data["prot"] = 8080
    with pytest.raises(ContractError, match=r"(?s)contract.schema.json.*'prot' was unexpected"):
        load_contract(_write(tmp_path, data))


def test_a_contract_leaving_out_a_variable_it_never_sets_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load(TOY_CONTRACT.read_text())
    data["configuration"]["missing"] = ["TOY_NEVER_SET"]
    with pytest.raises(ContractError, match="TOY_NEVER_SET"):
        load_contract(_write(tmp_path, data))


def test_the_contracts_resources_are_made_on_the_emulator(
    tmp_path: Path, moto_server: MotoServer
) -> None:
    data = yaml.safe_load(TOY_CONTRACT.read_text())
    where = {"LocationConstraint": "eu-west-1"}
    bucket = {"Bucket": "toy-made", "CreateBucketConfiguration": where}
    call = {"service": "s3", "operation": "create_bucket", "parameters": bucket}
    data["aws"] = {"resources": [call]}
    provision(load_contract(_write(tmp_path, data)), moto_server.url)
    s3 = boto3.client("s3", region_name="eu-west-1", endpoint_url=moto_server.url, **_KEYS)
    assert "toy-made" in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    call["parameters"] = {"Bucket": "Not A Bucket!"}
    with pytest.raises(ContractError, match=r"aws.resources\[0\] s3.create_bucket failed"):
        provision(load_contract(_write(tmp_path, data)), moto_server.url)


# --- the run, from the chart's render ----------------------------------------------------


def test_the_run_mirrors_the_charts_security_context(depot_run: ChartRun) -> None:
    flags = set(depot_run.hardening)
    assert {"--user=10001:10001", "--read-only", "--cap-drop=ALL"} <= flags
    assert "--security-opt=no-new-privileges" in flags
    # The container tests' hand-written hardening is what the chart says, /tmp aside.
    assert {f for f in HARDENING if not f.startswith("--tmpfs")} <= flags
    assert any(f.startswith("--tmpfs=/tmp:") for f in flags)


def test_a_security_context_field_the_run_cannot_mirror_stops_it(
    depot_manifests: list[dict[str, Any]],
) -> None:
    changed = json.loads(json.dumps(depot_manifests))
    workload = next(m for m in changed if m["kind"] == "Deployment")
    workload["spec"]["template"]["spec"]["containers"][0]["securityContext"]["procMount"] = (
        "Unmasked"
    )
    with pytest.raises(ChartError, match="procMount"):
        chart.chart_run(changed)


def test_the_contracts_value_files_reach_the_run(helm: str, depot_run: ChartRun) -> None:
    """The toy's values.yaml shortens the startup budget and nothing else."""
    contract = load_contract(TOY_CONTRACT)
    run = chart.chart_run(chart.render(helm, contract.service, contract.port, contract.values))
    assert run.startup.failure_threshold == 5 and run.startup.budget_seconds == 10
    assert run.liveness == depot_run.liveness and run.readiness == depot_run.readiness


def test_values_breaking_the_charts_timing_inequalities_stop_the_run(
    helm: str, tmp_path: Path
) -> None:
    """The chart's own refusal reaches the team: a grace period shorter than preStop +
    drain + timeout is not a run that fails later, but a render that names the fix."""
    values = tmp_path / "values.yaml"
    values.write_text("terminationGracePeriodSeconds: 20\n")
    with pytest.raises(ChartError, match=r"terminationGracePeriodSeconds \(20\) must be >"):
        chart.render(helm, "toy", 8080, (values,))


def test_probes_and_shutdown_timings_are_the_charts(depot_run: ChartRun) -> None:
    """The same numbers the drain tests of tests/reliability run with, read from the
    render instead of the values: the two readings cannot drift apart."""
    timings = chart_timings()
    assert (depot_run.liveness.path, depot_run.readiness.path) == ("/livez", "/readyz")
    assert depot_run.readiness.port == depot_run.port == 8080
    assert depot_run.pre_stop_seconds == timings.pre_stop_seconds
    assert depot_run.grace_seconds == timings.grace_seconds
    assert depot_run.readiness.period_seconds == timings.readiness_period_seconds
    assert depot_run.exit_deadline_seconds == timings.grace_seconds - timings.pre_stop_seconds
    # The chart's inequality the drain check leans on: the notice window fits the drain.
    assert depot_run.readiness.budget_seconds <= timings.drain_seconds
    assert depot_run.env["DEPOT_DRAIN_SECONDS"] == f"{timings.drain_seconds:g}"


# --- the metrics contract -----------------------------------------------------------------


def test_the_metrics_contract_is_what_the_slo_rules_select(
    depot_manifests: list[dict[str, Any]],
) -> None:
    needed = metrics.requirements(metrics.slo_exprs(depot_manifests, "depot"))
    assert {name: sorted(r.labels) for name, r in needed.items()} == {
        "http_requests_total": ["method", "route", "status"],
        "http_request_duration_seconds_bucket": ["le", "route"],
        "http_request_duration_seconds_count": ["route"],
    }
    # The latency threshold of depot's values, as a bucket the rules select exactly.
    assert needed["http_request_duration_seconds_bucket"].values == {"le": {"0.3"}}


GOOD = """\
# TYPE http_requests_total counter
http_requests_total{method="GET",route="/livez",status="200"} 3
http_request_duration_seconds_bucket{method="GET",route="/livez",status="200",le="0.3"} 3
http_request_duration_seconds_count{method="GET",route="/livez",status="200"} 3
"""
NEEDED = {
    "http_requests_total": metrics.Requirement({"method", "route", "status"}),
    "http_request_duration_seconds_bucket": metrics.Requirement({"le", "route"}, {"le": {"0.3"}}),
    "http_request_duration_seconds_count": metrics.Requirement({"route"}),
}


def test_metrics_meeting_the_contract_pass() -> None:
    assert all(f.ok for f in metrics.check_metrics(GOOD, NEEDED))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("http_request_duration_seconds_count", "other_count"), "_count is not exposed"),
        ((',status="200"} 3\nhttp_request_duration', "} 3\nhttp_request_duration"), "lacks labels"),
        (('le="0.3"', 'le="0.4"'), "no series with le in ['0.3']"),
    ],
    ids=["family-missing", "label-missing", "threshold-bucket-missing"],
)
def test_metrics_breaking_the_contract_fail(change: tuple[str, str], message: str) -> None:
    text = GOOD.replace(*change, 1)
    failures = [f for f in metrics.check_metrics(text, NEEDED) if not f.ok]
    assert len(failures) == 1 and message in failures[0].summary, failures


# --- the log contract ---------------------------------------------------------------------


def test_the_log_fields_are_the_pipelines() -> None:
    assert logs.required_fields(logs.PIPELINE.read_text()) == ("timestamp", {"level"})


LINE = json.dumps({"timestamp": "2026-01-01T00:00:00.123Z", "level": "info", "event": "x"})


@pytest.mark.parametrize(
    ("stdout", "stderr", "seen"),
    [
        ("INFO started\n", "", "not JSON"),
        ('{"timestamp": "2026-01-01T00:00:00Z"}\n', "", "no ['level']"),
        ('{"timestamp": "yesterday", "level": "info"}\n', "", "is not RFC 3339"),
        (LINE + "\n", "Traceback (most recent call last):\n", "stderr line 1: not JSON"),
        ("", LINE + "\n", "no line on stdout"),
    ],
    ids=["plain-text", "no-level", "bad-timestamp", "plain-stderr", "nothing-on-stdout"],
)
def test_logs_the_pipeline_cannot_use_fail(stdout: str, stderr: str, seen: str) -> None:
    [finding] = logs.check_logs(stdout, stderr)
    assert not finding.ok and seen in finding.seen, finding


def test_json_lines_with_the_pipelines_fields_pass() -> None:
    assert logs.check_logs(LINE + "\n" + LINE + "\n", "")[0].ok


# --- the image's user ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "summary"),
    [
        ("", "the image runs as root"),
        ("0:0", "the image runs as root"),
        ("root", "the image runs as root"),
        ("app", "runAsNonRoot needs a number"),
        ("1000:1000", "not the one the chart runs it as"),
    ],
)
def test_an_image_user_the_chart_cannot_run_fails(
    depot_run: ChartRun, user: str, summary: str
) -> None:
    finding = check_user({"Config": {"User": user}}, depot_run)
    assert not finding.ok and summary in finding.summary, finding


def test_the_charts_user_passes(depot_run: ChartRun) -> None:
    assert check_user({"Config": {"User": "10001:10001"}}, depot_run).ok


# --- the configuration runs ---------------------------------------------------------------


def test_each_configuration_case_changes_only_its_variable() -> None:
    contract = load_contract(DEPOT_CONTRACT)
    env = {**contract.env, "AWS_REGION": "eu-west-1"}
    runs = {(variable, wrong): case for variable, wrong, case in cases(contract, env)}
    assert set(runs) == {
        ("DEPOT_TABLE_NAME", "left out"),
        ("DEPOT_BUCKET_NAME", "set to 'Not_A_Bucket'"),
    }
    left_out = runs["DEPOT_TABLE_NAME", "left out"]
    assert "DEPOT_TABLE_NAME" not in left_out
    assert left_out == {k: v for k, v in env.items() if k != "DEPOT_TABLE_NAME"}
    invalid = runs["DEPOT_BUCKET_NAME", "set to 'Not_A_Bucket'"]
    assert invalid == {**env, "DEPOT_BUCKET_NAME": "Not_A_Bucket"}
