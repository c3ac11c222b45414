"""The service role's S3 confinement, checked in practice with the emulator enforcing
IAM (moto evaluates resource-scoped allows faithfully for S3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from botocore.exceptions import ClientError

from tests.infra import aws as awsmod
from tests.infra.workspace import EMULATOR_ACCOUNT_ID
from tests.support.moto import MotoServer

FOREIGN_BUCKET = f"other-dev-content-{EMULATOR_ACCOUNT_ID}"
# What s3_isolation_in_practice must find for a service role: its own objects under
# tenants/ and nothing else.
CONFINED = {
    "put own tenants/ object": True,
    "get own tenants/ object": True,
    "put own object outside tenants/": False,
    "get another service's object": False,
    "put into another service's bucket": False,
    "list all buckets": False,
}


def s3_isolation_in_practice(
    moto: MotoServer, aws: awsmod.Aws, outputs: dict[str, Any], service: str = "depot"
) -> dict[str, bool]:
    """With the emulator enforcing IAM, act as the service's role: its own objects under
    tenants/ work; outside the prefix, another service's bucket and ListBuckets do not.
    (The emulator evaluates resource-scoped allows faithfully only for S3: the other
    services' isolation is proven on the policy documents.)"""
    served = outputs["services"][service]
    own = served["bucket_name"]
    admin_s3 = aws.client("s3")
    admin_s3.create_bucket(
        Bucket=FOREIGN_BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    admin_s3.put_object(Bucket=FOREIGN_BUCKET, Key="tenants/t1/doc", Body=b"secret")
    creds = aws.client("sts").assume_role(RoleArn=served["role_arn"], RoleSessionName="isolation")[
        "Credentials"
    ]
    as_role = awsmod.Aws(
        moto.url,
        {
            "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"],
        },
    ).client("s3")
    attempts: dict[str, Callable[[], Any]] = {
        "put own tenants/ object": lambda: as_role.put_object(
            Bucket=own, Key="tenants/t1/doc", Body=b"x"
        ),
        "get own tenants/ object": lambda: as_role.get_object(Bucket=own, Key="tenants/t1/doc"),
        "put own object outside tenants/": lambda: as_role.put_object(
            Bucket=own, Key="other/doc", Body=b"x"
        ),
        "get another service's object": lambda: as_role.get_object(
            Bucket=FOREIGN_BUCKET, Key="tenants/t1/doc"
        ),
        "put into another service's bucket": lambda: as_role.put_object(
            Bucket=FOREIGN_BUCKET, Key="tenants/t1/x", Body=b"x"
        ),
        "list all buckets": lambda: as_role.list_buckets(),
    }
    results: dict[str, bool] = {}
    set_iam_enforcement(moto, on=True)
    try:
        for name, call in attempts.items():
            results[name] = allowed(call)
    finally:
        set_iam_enforcement(moto, on=False)
    for bucket in (own, FOREIGN_BUCKET):
        awsmod.purge_bucket(aws, bucket)
    admin_s3.delete_bucket(Bucket=FOREIGN_BUCKET)
    return results


def set_iam_enforcement(moto: MotoServer, *, on: bool) -> None:
    httpx.post(
        f"{moto.url}/moto-api/reset-auth",
        content="0" if on else "inf",
        headers={"Content-Type": "text/plain"},
        timeout=10.0,
    ).raise_for_status()


def allowed(call: Callable[[], Any]) -> bool:
    try:
        call()
    except ClientError as error:
        if error.response["Error"]["Code"] in {"AccessDenied", "AccessDeniedException", "403"}:
            return False
        raise
    return True
