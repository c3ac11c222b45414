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


def copy_infra(destination: Path) -> Path:
    """Copy infra/ (without local Terraform data) and return the copy's infra/ path."""
    target = destination / "infra"
    shutil.copytree(
        INFRA,
        target,
        ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", ".terraform.lock.hcl"),
    )
    return target


def _provider_block(endpoint: str, alias: str | None) -> str:
    endpoints = "\n".join(f'    {name} = "{endpoint}"' for name in ENDPOINT_SERVICES)
    alias_line = f'  alias = "{alias}"\n' if alias else ""
    # Not skip_requesting_account_id: the emulator's STS answers with its account id, and
    # without it security-group rule references drift. max_retries = 3 (three attempts)
    # rides out the emulator dropping a kept-alive connection under load ("use of closed
    # network connection" on an SQS read once failed a whole apply with one attempt),
    # while an API the emulator lacks still fails in seconds, not minutes.
    return (
        'provider "aws" {\n'
        f"{alias_line}"
        '  access_key                  = "testing"\n'
        '  secret_key                  = "testing"\n'
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
    root: Path, endpoint: str, provider_aliases: tuple[str, ...] = ()
) -> None:
    """Override the root's provider blocks so every call goes to the emulator."""
    blocks = [_provider_block(endpoint, None)]
    blocks += [_provider_block(endpoint, alias) for alias in provider_aliases]
    (root / "zz_emulator_override.tf").write_text("\n".join(blocks))


def write_backend_config(root: Path, endpoint: str, bucket: str) -> Path:
    """A -backend-config file for the S3 backend on the emulator (same key, lock file on)."""
    path = root / "emulator.s3.tfbackend"
    path.write_text(
        f'bucket                      = "{bucket}"\n'
        f'region                      = "{REGION}"\n'
        'access_key                  = "testing"\n'
        'secret_key                  = "testing"\n'
        "skip_credentials_validation = true\n"
        "skip_requesting_account_id  = true\n"
        "skip_metadata_api_check     = true\n"
        "use_path_style              = true\n"
        f'endpoints                   = {{ s3 = "{endpoint}", sts = "{endpoint}" }}\n'
    )
    return path
