"""The day-one rehearsal (docs/infra.md, "Day one on a real account"), step by step, each
step as the identity the docs name, on an emulator whose IAM enforcement is on and
decides by IAM's meaning (tests/infra/moto_iam_semantics.py).

Accounts: the shared account is the emulator's default (123456789012); dev is its real id
(111111111111), reached as in AWS by assuming a role there. The PlatformAdmin roles are
made first by the emulator's root, as IAM Identity Center makes them, with the path SSO
gives them; nothing else runs as the root.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.infra import aws as awsmod
from tests.infra.enforcement import set_iam_enforcement
from tests.infra.lifecycle import (
    EMULATOR_ADMINS,
    EMULATOR_WRITERS,
    STATE_BUCKET,
    RootRun,
    guarded,
    timed,
)
from tests.infra.tf import Terraform
from tests.infra.workspace import (
    EMULATOR_ACCOUNT_ID,
    REGION,
    copy_infra,
    point_root_at_emulator,
    write_backend_config,
)
from tests.support.moto import MotoServer, start_moto

DEV_ACCOUNT = "111111111111"
SSO_PATH = "/aws-reserved/sso.amazonaws.com/eu-west-1/"
SSO_ADMIN = "AWSReservedSSO_PlatformAdmin_0123456789abcdef"
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
Credentials = dict[str, str]


def semantic_moto(workdir: Path) -> tuple[MotoServer, Path]:
    """A moto server whose IAM decisions are principalmapper's (see the module above)."""
    denials = workdir / "denials.jsonl"
    server = start_moto(
        workdir, preload=("tests.infra.moto_iam_semantics",), DEPOT_IAM_DENIALS=str(denials)
    )
    return server, denials


def session(creds: dict[str, Any]) -> Credentials:
    return {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }


def terraform_env(creds: Credentials) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": creds["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": creds["aws_secret_access_key"],
        "AWS_SESSION_TOKEN": creds["aws_session_token"],
        "AWS_REGION": REGION,
    }


def platform_admin(root: awsmod.Aws, account: str) -> Credentials:
    """What IAM Identity Center does for the PlatformAdmin permission set in an account."""
    if account == EMULATOR_ACCOUNT_ID:
        in_account = root
    else:
        # The emulator's way into another account (AWS Organizations' access role).
        creds = root.client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
            RoleSessionName="organizations",
        )["Credentials"]
        in_account = awsmod.Aws(root.endpoint, session(creds))
    iam = in_account.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = iam.create_role(
        RoleName=SSO_ADMIN, Path=SSO_PATH, AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]
    iam.attach_role_policy(RoleName=SSO_ADMIN, PolicyArn=ADMINISTRATOR_ACCESS)
    creds = in_account.client("sts").assume_role(
        RoleArn=role["Arn"], RoleSessionName="platform-admin", DurationSeconds=3600
    )["Credentials"]
    return session(creds)


def ci_role(moto: MotoServer, account: str, mode: str) -> Credentials:
    """GitHub Actions' assumption of a CI role. The emulator does not verify the OIDC
    token (no issuer is reachable here) and fails on the unsigned call while enforcing, so
    enforcement pauses for this one call; the trust policy's sub/aud conditions are
    proven on the documents (test_least_privilege, test_shared_root)."""
    set_iam_enforcement(moto, on=False)
    try:
        return _web_identity(moto.url, account, mode)
    finally:
        set_iam_enforcement(moto, on=True)


def _web_identity(endpoint: str, account: str, mode: str) -> Credentials:
    sts = awsmod.Aws(endpoint).client("sts")
    creds = sts.assume_role_with_web_identity(
        RoleArn=f"arn:aws:iam::{account}:role/depot-ci-terraform-{mode}",
        RoleSessionName=f"github-{mode}",
        WebIdentityToken="github-actions-oidc-token",
    )["Credentials"]
    return session(creds)


def root_as(binary: str, infra: Path, rel: str, moto: MotoServer, creds: Credentials) -> Terraform:
    root = infra / rel
    point_root_at_emulator(
        root, moto.url, ("backup_copy",) if "live/dev" in rel else (), static_keys=False
    )
    return Terraform(binary, root, terraform_env(creds))


def init_backend(tf: Terraform, moto: MotoServer, key_arn: str, *extra: str) -> None:
    config = write_backend_config(tf.workdir, moto.url, STATE_BUCKET, key_arn, static_keys=False)
    tf.init(f"-backend-config={config.name}", *extra)


BOOTSTRAP = [
    f"-var=account_id={EMULATOR_ACCOUNT_ID}",
    f"-var=state_writers={EMULATOR_WRITERS}",
    f"-var=state_admin_role_arn_patterns={EMULATOR_ADMINS}",
    "-var=force_destroy=true",
    "-var=aws_api_emulator=true",
]
SHARED = [f"-var=account_id={EMULATOR_ACCOUNT_ID}", "-var=ecr_force_delete=true"]


def dev_vars(zone: str) -> list[str]:
    # dev's own account id (terraform.tfvars) and the emulator's shared account for state.
    return [
        f"-var=state_account_id={EMULATOR_ACCOUNT_ID}",
        f"-var=dns_zone_id={zone}",
        "-var=aws_api_emulator=true",
    ]


def rehearse_day_one(binary: str, workdir: Path) -> RootRun:
    run = RootRun("day one: bootstrap -> shared -> dev, then CI plan and apply")
    moto, denials = semantic_moto(workdir)
    run.snapshot["steps"] = {}

    def step(name: str, identity: str) -> dict[str, Any]:
        run.snapshot["steps"][name] = {"identity": identity, "ok": False}
        return run.snapshot["steps"][name]

    def body() -> None:
        root = awsmod.Aws(moto.url)
        shared_admin = platform_admin(root, EMULATOR_ACCOUNT_ID)
        dev_admin = platform_admin(root, DEV_ACCOUNT)
        infra = copy_infra(workdir)
        set_iam_enforcement(moto, on=True)

        s = step("1 delegated zone", f"dev PlatformAdmin ({SSO_ADMIN})")
        zone = (
            awsmod.Aws(moto.url, dev_admin)
            .client("route53")
            .create_hosted_zone(Name="dev.example.com", CallerReference="day-one")["HostedZone"][
                "Id"
            ]
            .rsplit("/", 1)[-1]
        )
        s["ok"] = True

        s = step("2 bootstrap", "shared PlatformAdmin")
        bootstrap = root_as(binary, infra, "live/shared/bootstrap", moto, shared_admin)
        with timed(run, "bootstrap"):
            bootstrap.init()
            bootstrap.apply(*BOOTSTRAP)
        key_arn = str(bootstrap.outputs()["state_kms_key_arn"])
        s["ok"] = True

        s = step("3 state into the bucket with the state key", "shared PlatformAdmin")
        (bootstrap.workdir / "zz_backend_override.tf").write_text(
            'terraform {\n  backend "s3" {\n    key = "live/shared/bootstrap/terraform.tfstate"\n'
            "    encrypt = true\n    use_lockfile = true\n  }\n}\n"
        )
        init_backend(bootstrap, moto, key_arn, "-migrate-state", "-force-copy")
        head = (
            awsmod.Aws(moto.url, shared_admin)
            .client("s3")
            .head_object(Bucket=STATE_BUCKET, Key="live/shared/bootstrap/terraform.tfstate")
        )
        s["ok"] = head.get("ServerSideEncryption") == "aws:kms"

        s = step("4 shared root", "shared PlatformAdmin")
        shared = root_as(binary, infra, "live/shared", moto, shared_admin)
        with timed(run, "shared"):
            init_backend(shared, moto, key_arn)
            shared.apply(*SHARED)
        s["ok"] = True

        s = step("5 dev root", "dev PlatformAdmin")
        dev = root_as(binary, infra, "live/dev", moto, dev_admin)
        with timed(run, "dev"):
            init_backend(dev, moto, key_arn)
            dev.apply(*dev_vars(zone))
        s["ok"] = True

        s = step("7a CI plan", "depot-ci-terraform-plan (infra-dev-plan)")
        plan_as = root_as(
            binary,
            copy_infra(workdir / "ci-plan"),
            "live/dev",
            moto,
            ci_role(moto, DEV_ACCOUNT, "plan"),
        )
        with timed(run, "ci plan"):
            init_backend(plan_as, moto, key_arn)
            code, text = plan_as.plan_exit_code(*dev_vars(zone))
        s["ok"] = code == 0
        s["plan"] = text[-2000:]

        ci_apply = ci_role(moto, DEV_ACCOUNT, "apply")
        s = step("7b CI apply", "depot-ci-terraform-apply (infra-dev)")
        apply_as = root_as(
            binary,
            copy_infra(workdir / "ci-apply"),
            "live/dev",
            moto,
            ci_apply,
        )
        with timed(run, "ci apply"):
            init_backend(apply_as, moto, key_arn)
            # A change as CI makes them: a new IRSA-free setting and a role policy update.
            apply_as.apply(
                *dev_vars(zone), "-var=log_retention_days=60", "-var=waf_rate_limit=3000"
            )
        s["ok"] = True

        s = step("7c CI apply cannot escalate", "depot-ci-terraform-apply (infra-dev)")
        iam = awsmod.Aws(moto.url, ci_apply).client("iam")
        s["refused"] = {}
        trust = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{DEV_ACCOUNT}:root"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        )
        from tests.infra.enforcement import allowed as call_allowed

        s["refused"]["create depot-x without the boundary"] = not call_allowed(
            lambda: iam.create_role(RoleName="depot-x", AssumeRolePolicyDocument=trust)
        )
        s["refused"]["attach AdministratorAccess to a bounded role"] = not call_allowed(
            lambda: iam.attach_role_policy(
                RoleName="depot-dev-loki", PolicyArn=ADMINISTRATOR_ACCESS
            )
        )
        s["ok"] = all(s["refused"].values())

    result = guarded(run, body)
    try:
        set_iam_enforcement(moto, on=False)
    finally:
        moto.stop()
    result.snapshot["denials"] = (
        [json.loads(line) for line in denials.read_text().splitlines()] if denials.exists() else []
    )
    return result
