"""Provision depot's AWS resources on an emulator (moto) for `make run` and tests.

In AWS these come from Terraform (infra/modules/service-data); the table schema here is
the same one, and a platform test compares the two.
"""

from __future__ import annotations

from typing import Any

import boto3

from depot.keys import KeySetDocument
from depot.keys_admin import KeyAdmin

TABLE_SCHEMA: dict[str, Any] = {
    "AttributeDefinitions": [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
        {"AttributeName": "pending_pk", "AttributeType": "S"},
    ],
    "KeySchema": [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": "pending",
            "KeySchema": [
                {"AttributeName": "pending_pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        }
    ],
    "BillingMode": "PAY_PER_REQUEST",
}
TTL_ATTRIBUTE = "expires_at"


def provision(
    endpoint_url: str,
    region: str,
    table: str,
    bucket: str,
    secret_id: str,
    tenants: list[str],
    keys: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Create table, bucket and key secret; issue one key per tenant. Idempotent enough
    for re-runs against a fresh emulator; returns names and the plaintext keys."""
    session = boto3.session.Session(region_name=region)
    ddb = session.client("dynamodb", endpoint_url=endpoint_url)
    s3 = session.client("s3", endpoint_url=endpoint_url)
    sm = session.client("secretsmanager", endpoint_url=endpoint_url)
    ddb.create_table(TableName=table, **TABLE_SCHEMA)
    ddb.update_time_to_live(
        TableName=table,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
    )
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    sm.create_secret(Name=secret_id, SecretString=KeySetDocument().model_dump_json())
    admin = KeyAdmin(sm, secret_id)
    issued: dict[str, str] = {}
    for tenant in tenants:
        preset = (keys or {}).get(tenant)
        if preset:
            admin.register(tenant, preset, label="preset")
            issued[tenant] = preset
        else:
            issued[tenant] = admin.issue(tenant, label="dev")[1]
    return {
        "endpoint_url": endpoint_url,
        "region": region,
        "table": table,
        "bucket": bucket,
        "secret_id": secret_id,
        "keys": issued,
    }
