"""Apply -> read -> plan again -> destroy, for one root on its own emulator.

Each root gets a private moto server, so roots apply in parallel without sharing an
account namespace, and "destroy leaves nothing" compares that server's inventory before
and after. Everything the tests assert is read while the resources exist and kept in a
RootRun; the tests then only look at data.
"""

from __future__ import annotations

import re
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.infra import aws as awsmod
from tests.infra.enforcement import s3_isolation_in_practice
from tests.infra.snapshots import snapshot_dev, snapshot_shared
from tests.infra.tf import Terraform
from tests.infra.workspace import (
    EMULATOR_ACCOUNT_ID,
    FAKE_CREDENTIALS,
    copy_infra,
    point_root_at_emulator,
    write_backend_config,
)
from tests.support.moto import MotoServer

STATE_BUCKET = f"depot-tfstate-{EMULATOR_ACCOUNT_ID}"


@dataclass
class RootRun:
    """What one root's lifecycle produced; `error` is set when a step failed."""

    name: str
    outputs: dict[str, Any] = field(default_factory=dict)
    snapshot: dict[str, Any] = field(default_factory=dict)
    plan_exit_code: int | None = None
    plan_text: str = ""
    leftovers: dict[str, set[str]] | None = None
    timings: dict[str, float] = field(default_factory=dict)
    error: str | None = None

    def require(self, *, step: str = "apply") -> RootRun:
        """Fail the calling test with the root's own error instead of a KeyError."""
        if self.error:
            raise AssertionError(f"{self.name} lifecycle failed before/at {step}:\n{self.error}")
        return self


@contextmanager
def timed(run: RootRun, step: str) -> Iterator[None]:
    start = time.monotonic()
    try:
        yield
    finally:
        run.timings[step] = round(time.monotonic() - start, 1)


def guarded(run: RootRun, body: Callable[[], None]) -> RootRun:
    try:
        body()
    except Exception:
        # Any failure (Terraform, the emulator, an assertion) is reported by every test
        # that needs this root, with the traceback, instead of crashing the session.
        run.error = traceback.format_exc(limit=4)
    return run


def emulator_root(
    binary: str, infra: Path, rel: str, moto: MotoServer, aliases: tuple[str, ...] = ()
) -> Terraform:
    root = infra / rel
    point_root_at_emulator(root, moto.url, aliases)
    return Terraform(binary, root, dict(FAKE_CREDENTIALS))


def init_with_emulator_backend(tf: Terraform, moto: MotoServer, kms_key_id: str) -> None:
    config = write_backend_config(tf.workdir, moto.url, STATE_BUCKET, kms_key_id)
    tf.init(f"-backend-config={config.name}")


def state_encryption(aws: awsmod.Aws, state_key: str) -> dict[str, str]:
    """How the backend stored the state object: SSE algorithm and key."""
    head = aws.client("s3").head_object(Bucket=STATE_BUCKET, Key=state_key)
    return {
        "sse": head.get("ServerSideEncryption", ""),
        "key": head.get("SSEKMSKeyId", ""),
    }


def delegated_zone(aws: awsmod.Aws, name: str) -> str:
    """The pre-delegated zone the environment roots expect (day one, before the apply)."""
    zone = aws.client("route53").create_hosted_zone(Name=name, CallerReference=f"test-{name}")
    return str(zone["HostedZone"]["Id"]).rsplit("/", 1)[-1]


def refuses_to_destroy(
    binary: str, workdir: Path, rel: str, moto: MotoServer, key: str, args: list[str]
) -> list[str]:
    """Plan a destroy of the applied root with the committed code (prevent_destroy intact):
    the addresses Terraform refuses to destroy."""
    infra = copy_infra(workdir, allow_destroy=False)
    tf = emulator_root(binary, infra, rel, moto, ("backup_copy",))
    init_with_emulator_backend(tf, moto, key)
    result = tf.run(
        "plan", "-destroy", "-no-color", "-refresh=false", "-lock=false", *args, ok_codes=(0, 1, 2)
    )
    text = result.stderr.replace("│", " ")
    return sorted(
        set(
            re.findall(r"Resource (\S+) has lifecycle\.prevent_destroy set", " ".join(text.split()))
        )
    )


def lock_is_enforced(tf: Terraform, aws: awsmod.Aws, state_key: str, plan_vars: list[str]) -> bool:
    """With a lock file present, a plan must refuse to run (S3-native locking)."""
    s3 = aws.client("s3")
    s3.put_object(Bucket=STATE_BUCKET, Key=f"{state_key}.tflock", Body=b'{"ID":"held-by-test"}')
    try:
        result = tf.run("plan", "-no-color", "-lock-timeout=0s", *plan_vars, ok_codes=(0, 1, 2))
        return result.returncode == 1 and "lock" in result.stderr.lower()
    finally:
        s3.delete_object(Bucket=STATE_BUCKET, Key=f"{state_key}.tflock")


# --- shared: bootstrap (state bucket) then the shared root (ECR, CI identity).

EMULATOR_ADMINS = (
    f'["arn:aws:iam::{EMULATOR_ACCOUNT_ID}:role/aws-reserved/sso.amazonaws.com/'
    '*AWSReservedSSO_PlatformAdmin_*"]'
)
# The shared root's writers live in the emulator's account (the environments' stay in
# their own accounts, which the policy tests use as they are).
EMULATOR_WRITERS = (
    "{ "
    + " ".join(
        f'{root} = {{ account_id = "{account}", role_name_prefix = "depot-ci-terraform-", '
        f'admin_role_arn_patterns = ["arn:aws:iam::{account}:role/aws-reserved/'
        'sso.amazonaws.com/*AWSReservedSSO_PlatformAdmin_*"] },'
        for root, account in (
            ("shared", EMULATOR_ACCOUNT_ID),
            ("dev", "111111111111"),
            ("staging", "222222222222"),
            ("prod", "333333333333"),
        )
    )
    + " }"
)
BOOTSTRAP_VARS = [
    f"-var=account_id={EMULATOR_ACCOUNT_ID}",
    f"-var=state_writers={EMULATOR_WRITERS}",
    "-var=force_destroy=true",
    "-var=aws_api_emulator=true",
    f"-var=state_admin_role_arn_patterns={EMULATOR_ADMINS}",
]
SHARED_VARS = [f"-var=account_id={EMULATOR_ACCOUNT_ID}", "-var=ecr_force_delete=true"]


def run_shared(binary: str, workdir: Path, moto: MotoServer) -> RootRun:
    run = RootRun("infra/live/shared")
    aws = awsmod.Aws(moto.url)

    def body() -> None:
        before = awsmod.inventory(aws)
        infra = copy_infra(workdir)
        bootstrap = emulator_root(binary, infra, "live/shared/bootstrap", moto)
        shared = emulator_root(binary, infra, "live/shared", moto)
        with timed(run, "bootstrap apply"):
            bootstrap.init()
            bootstrap.apply(*BOOTSTRAP_VARS)
        run.snapshot["state_bucket"] = awsmod.bucket_snapshot(aws, STATE_BUCKET)
        state_key_arn = bootstrap.outputs()["state_kms_key_arn"]
        run.snapshot["state_key_arn"] = state_key_arn
        with timed(run, "apply"):
            init_with_emulator_backend(shared, moto, state_key_arn)
            shared.apply(*SHARED_VARS)
        run.snapshot["state_encryption"] = state_encryption(aws, "live/shared/terraform.tfstate")
        with timed(run, "bootstrap plan with the real settings"):
            real = [v for v in BOOTSTRAP_VARS if "aws_api_emulator" not in v]
            bootstrap.plan_exit_code(*real, "-refresh=false", out="real.tfplan")
            run.snapshot["bootstrap_real_plan"] = bootstrap.show_plan("real.tfplan")
        run.outputs = shared.outputs()
        run.snapshot.update(snapshot_shared(aws))
        with timed(run, "second plan"):
            run.plan_exit_code, run.plan_text = shared.plan_exit_code(*SHARED_VARS)
        with timed(run, "lock check"):
            run.snapshot["lock_enforced"] = lock_is_enforced(
                shared, aws, "live/shared/terraform.tfstate", SHARED_VARS
            )
        with timed(run, "destroy"):
            shared.destroy(*SHARED_VARS)
            run.snapshot["state_after_destroy"] = shared.run("state", "list").stdout.split()
            awsmod.purge_bucket(aws, STATE_BUCKET)
            bootstrap.destroy(*BOOTSTRAP_VARS)
        run.leftovers = awsmod.leftovers(before, awsmod.inventory(aws))

    return guarded(run, body)


# --- dev: an environment root (network, EKS, service data and identity, edge, audit, CI).

DEV_ACCOUNT = [f"-var=account_id={EMULATOR_ACCOUNT_ID}"]
DEV_VARS = [*DEV_ACCOUNT, "-var=aws_api_emulator=true"]


def run_dev(binary: str, workdir: Path, moto: MotoServer) -> RootRun:
    run = RootRun("infra/live/dev")
    aws = awsmod.Aws(moto.url)

    def body() -> None:
        before = awsmod.inventory(aws)
        aws.client("s3").create_bucket(
            Bucket=STATE_BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        state_key = aws.client("kms").create_key(Description="state")["KeyMetadata"]["Arn"]
        run.snapshot["state_key_arn"] = state_key
        zone = [f"-var=dns_zone_id={delegated_zone(aws, 'dev.example.com')}"]
        infra = copy_infra(workdir)
        dev = emulator_root(binary, infra, "live/dev", moto, ("backup_copy",))
        with timed(run, "apply"):
            init_with_emulator_backend(dev, moto, state_key)
            dev.apply(*DEV_VARS, *zone)
        run.snapshot["state_encryption"] = state_encryption(aws, "live/dev/terraform.tfstate")
        run.outputs = dev.outputs()
        with timed(run, "inspect"):
            run.snapshot.update(snapshot_dev(aws, run.outputs))
        with timed(run, "second plan"):
            run.plan_exit_code, run.plan_text = dev.plan_exit_code(*DEV_VARS, *zone)
        with timed(run, "plan of emulator-excluded resources"):
            dev.plan_exit_code(*DEV_ACCOUNT, *zone, "-refresh=false", out="real.tfplan")
            run.snapshot["real_account_plan"] = dev.show_plan("real.tfplan")
        with timed(run, "prevent_destroy"):
            run.snapshot["refused_to_destroy"] = refuses_to_destroy(
                binary, workdir / "committed", "live/dev", moto, state_key, [*DEV_VARS, *zone]
            )
        with timed(run, "iam enforcement"):
            run.snapshot["enforced"] = s3_isolation_in_practice(moto, aws, run.outputs)
        with timed(run, "destroy"):
            dev.destroy(*DEV_VARS, *zone)
            run.snapshot["state_after_destroy"] = dev.run("state", "list").stdout.split()
            awsmod.purge_bucket(aws, STATE_BUCKET)
            aws.client("s3").delete_bucket(Bucket=STATE_BUCKET)
            aws.client("route53").delete_hosted_zone(Id=zone[0].rsplit("=", 1)[1])
            aws.client("kms").schedule_key_deletion(
                KeyId=state_key.rsplit("/", 1)[1], PendingWindowInDays=7
            )
        run.leftovers = awsmod.leftovers(before, awsmod.inventory(aws))

    return guarded(run, body)


# --- prod and staging: planned (not applied) against the emulator with a local backend.

PLAN_ONLY_BACKEND = 'terraform {\n  backend "local" {}\n}\n'


def plan_root(
    binary: str, workdir: Path, moto: MotoServer, environment: str, *extra_vars: str
) -> RootRun:
    """Plan a full root for a real account (no emulator exclusions) and keep its JSON."""
    run = RootRun(f"infra/live/{environment}")

    def body() -> None:
        infra = copy_infra(workdir)
        root = emulator_root(binary, infra, f"live/{environment}", moto, ("backup_copy",))
        (root.workdir / "zz_local_backend_override.tf").write_text(PLAN_ONLY_BACKEND)
        zone = delegated_zone(awsmod.Aws(moto.url), f"{environment}.example.com")
        with timed(run, "plan"):
            root.init()
            code, run.plan_text = root.plan_exit_code(
                f"-var=account_id={EMULATOR_ACCOUNT_ID}",
                f"-var=dns_zone_id={zone}",
                *extra_vars,
                out="p.tfplan",
            )
            run.plan_exit_code = code
            run.snapshot["plan"] = root.show_plan("p.tfplan")

    return guarded(run, body)


# --- bad input: plans that must be refused, with a message naming the field.

BAD_INPUTS: dict[str, list[str]] = {
    "two NAT gateways": ["-var=nat_gateway_count=2"],
    "an API endpoint open to the internet": ['-var=cluster_public_access_cidrs=["0.0.0.0/0"]'],
    "a CI role given cluster access": [
        f'-var=developer_role_arns=["arn:aws:iam::{EMULATOR_ACCOUNT_ID}:role/depot-ci-terraform-apply"]'
    ],
    "an unknown developer access level": ["-var=developer_access=admin"],
    "the wrong account": ["-var=account_id=333333333333"],
    "a zone name instead of its id": ["-var=dns_zone_id=dev.example.com"],
    "the id of another domain's zone": ["-var=dns_zone_id=ZONE_OF_OTHER_DOMAIN"],
    "a visibility timeout not above the longest processing": [
        '-var=event_services={verifier={source_service="depot",visibility_timeout_seconds=300}}'
    ],
    "no dead-letter redrive": [
        '-var=event_services={verifier={source_service="depot",max_receive_count=0}}'
    ],
    "an event service fed by an unknown service": [
        '-var=event_services={verifier={source_service="ledger"}}'
    ],
}


def reject_bad_inputs(binary: str, workdir: Path, moto: MotoServer) -> RootRun:
    """Plan the dev root with one bad value at a time; keep each exit code and stderr."""
    run = RootRun("infra/live/dev (bad inputs)")

    def body() -> None:
        infra = copy_infra(workdir)
        root = emulator_root(binary, infra, "live/dev", moto, ("backup_copy",))
        (root.workdir / "zz_local_backend_override.tf").write_text(PLAN_ONLY_BACKEND)
        root.init()
        aws = awsmod.Aws(moto.url)
        good_zone = delegated_zone(aws, "dev.example.com")
        other_zone = delegated_zone(aws, "other.example.org")
        for case, raw in BAD_INPUTS.items():
            args = [a.replace("ZONE_OF_OTHER_DOMAIN", other_zone) for a in raw]
            if not any(a.startswith("-var=dns_zone_id") for a in args):
                args.append(f"-var=dns_zone_id={good_zone}")
            account = (
                []
                if any(a.startswith("-var=account_id") for a in args)
                else [f"-var=account_id={EMULATOR_ACCOUNT_ID}"]
            )
            result = root.run(
                "plan", "-no-color", "-refresh=false", *account, *args, ok_codes=(0, 1, 2)
            )
            run.snapshot[case] = {"exit": result.returncode, "stderr": result.stderr}

    return guarded(run, body)
