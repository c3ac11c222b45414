"""Snapshots: what a test asserts on, read from the emulator through boto3 while the
resources exist (the lifecycle destroys them before the tests look)."""

from __future__ import annotations

import json
from typing import Any

from tests.infra import aws as awsmod


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


def snapshot_dev(aws: awsmod.Aws, outputs: dict[str, Any]) -> dict[str, Any]:
    depot = outputs["services"]["depot"]
    ddb, ec2, eks = aws.client("dynamodb"), aws.client("ec2"), aws.client("eks")
    table = depot["table_name"]
    secrets = aws.client("secretsmanager")
    vpc_filter = [{"Name": "vpc-id", "Values": [outputs["vpc_id"]]}]
    logs = aws.client("logs")
    queue_url = aws.client("sqs").get_queue_url(
        QueueName=outputs["karpenter"]["interruption_queue"]
    )["QueueUrl"]
    trail = aws.client("cloudtrail").describe_trails()["trailList"]
    waf = aws.client("wafv2")
    acl_id = outputs["waf_acl_arn"].rsplit("/", 1)[1]
    return {
        "roles": awsmod.all_roles(aws),
        "key_admin_policy": awsmod.managed_policy_document(
            aws, outputs["key_admin_policy_arns"]["depot"]
        ),
        "boundary_policy": awsmod.managed_policy_document(
            aws,
            outputs["key_admin_policy_arns"]["depot"].rsplit("/", 1)[0]
            + "/depot-ci-workload-boundary",
        ),
        "content_bucket": awsmod.bucket_snapshot(aws, depot["bucket_name"]),
        "logs_bucket": awsmod.bucket_snapshot(aws, outputs["loki_bucket_name"]),
        "data_key": awsmod.kms_snapshot(aws, depot["kms_alias"]),
        "table": ddb.describe_table(TableName=table)["Table"],
        "ttl": ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"],
        "pitr": ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"],
        "secret": secrets.describe_secret(SecretId=depot["secret_name"]),
        "secret_value": json.loads(
            secrets.get_secret_value(SecretId=depot["secret_name"])["SecretString"]
        ),
        "subnets": ec2.describe_subnets(Filters=vpc_filter)["Subnets"],
        "nat_gateways": [
            n
            for n in ec2.describe_nat_gateways(Filters=vpc_filter)["NatGateways"]
            if n["State"] == "available"
        ],
        "vpc_endpoints": ec2.describe_vpc_endpoints(Filters=vpc_filter)["VpcEndpoints"],
        "flow_logs": ec2.describe_flow_logs(
            Filters=[{"Name": "resource-id", "Values": [outputs["vpc_id"]]}]
        )["FlowLogs"],
        "cluster": eks.describe_cluster(name=outputs["cluster_name"])["cluster"],
        "nodegroup": eks.describe_nodegroup(
            clusterName=outputs["cluster_name"], nodegroupName="system"
        )["nodegroup"],
        "log_groups": {g["logGroupName"]: g for g in logs.describe_log_groups()["logGroups"]},
        "queue": aws.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])[
            "Attributes"
        ],
        "event_rules": {r["Name"]: r for r in aws.client("events").list_rules()["Rules"]},
        "web_acl": waf.get_web_acl(Name=f"{outputs['cluster_name']}", Scope="REGIONAL", Id=acl_id)[
            "WebACL"
        ],
        "certificate": aws.client("acm").describe_certificate(
            CertificateArn=outputs["certificate_arn"]
        )["Certificate"],
        "trails": trail,
        "backup_plans": aws.client("backup").list_backup_plans()["BackupPlansList"],
        "event_services": snapshot_event_services(aws, outputs),
        "content_notification": {
            k: v
            for k, v in aws.client("s3")
            .get_bucket_notification_configuration(Bucket=depot["bucket_name"])
            .items()
            if k != "ResponseMetadata"
        },
    }


def snapshot_event_services(aws: awsmod.Aws, outputs: dict[str, Any]) -> dict[str, Any]:
    """Each event service's queue and dead-letter queue attributes, and their key."""
    sqs = aws.client("sqs")
    found: dict[str, Any] = {}
    for name, event in outputs.get("event_services", {}).items():
        queue = sqs.get_queue_attributes(QueueUrl=event["queue_url"], AttributeNames=["All"])
        dead = sqs.get_queue_attributes(
            QueueUrl=event["dead_letter_queue_url"], AttributeNames=["All"]
        )
        attributes = queue["Attributes"]
        found[name] = {
            "outputs": event,
            "queue": attributes,
            "dead_letter_queue": dead["Attributes"],
            "queue_key": awsmod.kms_snapshot(aws, attributes["KmsMasterKeyId"]),
        }
    return found
