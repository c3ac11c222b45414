"""Apply -> read -> plan again -> destroy, for one root on its own emulator.

Each root gets a private moto server, so roots apply in parallel without sharing an
account namespace, and "destroy leaves nothing" compares that server's inventory before
and after. Everything the tests assert is read while the resources exist and kept in a
RootRun; the tests then only look at data.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.infra import aws as awsmod
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


def init_with_emulator_backend(tf: Terraform, moto: MotoServer) -> None:
    config = write_backend_config(tf.workdir, moto.url, STATE_BUCKET)
    tf.init(f"-backend-config={config.name}")


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

BOOTSTRAP_VARS = [
    f"-var=account_id={EMULATOR_ACCOUNT_ID}",
    "-var=force_destroy=true",
    "-var=aws_api_emulator=true",
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
        with timed(run, "apply"):
            init_with_emulator_backend(shared, moto)
            shared.apply(*SHARED_VARS)
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
            awsmod.purge_bucket(aws, STATE_BUCKET)
            bootstrap.destroy(*BOOTSTRAP_VARS)
        run.leftovers = awsmod.leftovers(before, awsmod.inventory(aws))

    return guarded(run, body)


def snapshot_shared(aws: awsmod.Aws) -> dict[str, Any]:
    ecr = aws.client("ecr")
    repo = ecr.describe_repositories(repositoryNames=["depot"])["repositories"][0]
    iam = aws.client("iam")
    providers = [
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=p["Arn"])
        for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    ]
    return {
        "ecr_repository": repo,
        "ecr_lifecycle": json.loads(
            ecr.get_lifecycle_policy(repositoryName="depot")["lifecyclePolicyText"]
        ),
        "ecr_policy": json.loads(ecr.get_repository_policy(repositoryName="depot")["policyText"]),
        "ecr_key": awsmod.kms_snapshot(aws, repo["encryptionConfiguration"]["kmsKey"]),
        "roles": awsmod.all_roles(aws),
        "oidc_providers": [{"url": p["Url"], "client_ids": p["ClientIDList"]} for p in providers],
    }
