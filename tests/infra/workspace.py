"""Throw-away copies of infra/ wired to an AWS API emulator.

Tests never run Terraform inside the work tree: each run gets its own copy, so no
.terraform/ directory, lock file or state ever lands next to the committed code, and
parallel runs cannot collide. The copy differs from the committed root only by an
*_override.tf file (Terraform's own override mechanism) that points the provider at
the emulator, and by a backend config file for the state bucket on the emulator.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.tools import ROOT

INFRA = ROOT / "infra"
EMULATOR_ACCOUNT_ID = "123456789012"
REGION = "eu-west-1"
# Every service the modules call; the provider sends nothing to real AWS.
ENDPOINT_SERVICES = (
    "acm",
    "autoscaling",
    "backup",
    "cloudtrail",
    "cloudwatch",
    "dynamodb",
    "ec2",
    "ecr",
    "eks",
    "elbv2",
    "events",
    "iam",
    "kms",
    "logs",
    "route53",
    "s3",
    "secretsmanager",
    "sqs",
    "ssm",
    "sts",
    "wafv2",
)
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": REGION,
}


PREVENT_DESTROY = "prevent_destroy = true"


def copy_infra(destination: Path, *, allow_destroy: bool = True) -> Path:
    """Copy infra/ (without local Terraform data; the environment roots' links become
    files) and return the copy's infra/ path.

    `prevent_destroy` cannot come from a variable, so a throw-away copy that the tests
    destroy turns it off by text (allow_destroy); the dev lifecycle first proves, with an
    unmodified copy, that the real code refuses to destroy its stateful resources."""
    target = destination / "infra"
    shutil.copytree(
        INFRA,
        target,
        ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", ".terraform.lock.hcl"),
    )
    if allow_destroy:
        for path in target.rglob("*.tf"):
            text = path.read_text()
            if PREVENT_DESTROY in text:
                path.write_text(text.replace(PREVENT_DESTROY, "prevent_destroy = false"))
    return target


def _provider_block(endpoint: str, alias: str | None, static_keys: bool = True) -> str:
    endpoints = "\n".join(f'    {name} = "{endpoint}"' for name in ENDPOINT_SERVICES)
    alias_line = f'  alias = "{alias}"\n' if alias else ""
    # Without static keys the provider takes the environment's credentials: the
    # identity the rehearsal runs as (an assumed role's session).
    keys = (
        '  access_key                  = "testing"\n  secret_key                  = "testing"\n'
        if static_keys
        else ""
    )
    # Not skip_requesting_account_id: the emulator's STS answers with its account id, and
    # without it security-group rule references drift. max_retries = 3 (three attempts)
    # rides out the emulator dropping a kept-alive connection under load ("use of closed
    # network connection" on an SQS read once failed a whole apply with one attempt),
    # while an API the emulator lacks still fails in seconds, not minutes.
    return (
        'provider "aws" {\n'
        f"{alias_line}"
        f"{keys}"
        "  skip_credentials_validation = true\n"
        "  skip_metadata_api_check     = true\n"
        "  s3_use_path_style           = true\n"
        "  max_retries                 = 3\n"
        "  endpoints {\n"
        f"{endpoints}\n"
        "  }\n"
        # The emulator does not return tags for every service (AWS Backup among them), so
        # provider-wide default tags would show as drift on every plan.
        "  default_tags {\n"
        "    tags = {}\n"
        "  }\n"
        "}\n"
    )


def point_root_at_emulator(
    root: Path, endpoint: str, provider_aliases: tuple[str, ...] = (), *, static_keys: bool = True
) -> None:
    """Override the root's provider blocks so every call goes to the emulator."""
    blocks = [_provider_block(endpoint, None, static_keys)]
    blocks += [_provider_block(endpoint, alias, static_keys) for alias in provider_aliases]
    (root / "zz_emulator_override.tf").write_text("\n".join(blocks))


STATIC_KEYS = 'access_key                  = "testing"\nsecret_key                  = "testing"\n'


def write_backend_config(
    root: Path, endpoint: str, bucket: str, kms_key_id: str, *, static_keys: bool = True
) -> Path:
    """A -backend-config file for the S3 backend on the emulator (same key, lock file on,
    state encrypted with the emulator's state key)."""
    path = root / "emulator.s3.tfbackend"
    path.write_text(
        f'bucket                      = "{bucket}"\n'
        f'region                      = "{REGION}"\n'
        f'kms_key_id                  = "{kms_key_id}"\n'
        + (STATIC_KEYS if static_keys else "")
        + "skip_credentials_validation = true\n"
        "skip_requesting_account_id  = true\n"
        "skip_metadata_api_check     = true\n"
        "use_path_style              = true\n"
        "endpoints                   = "
        f'{{ s3 = "{endpoint}", sts = "{endpoint}", kms = "{endpoint}" }}\n'
    )
    return path
