"""infra/live/dev applied for real on the emulator (network, EKS, the service's data
and identity, edge, audit, backup, CI roles), inspected through boto3, planned again,
destroyed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.lifecycle import RootRun
from tests.infra.workspace import EMULATOR_ACCOUNT_ID

# The first test waits for the roots' lifecycles (minutes), which run in the background.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


@pytest.fixture(scope="module")
def run(dev_run: RootRun) -> RootRun:
    return dev_run.require()


@pytest.fixture(scope="module")
def snap(run: RootRun) -> dict[str, Any]:
    return run.snapshot


def test_names_follow_the_naming_contract(run: RootRun) -> None:
    assert run.outputs["services"]["depot"] == {
        "role_arn": f"arn:aws:iam::{EMULATOR_ACCOUNT_ID}:role/depot-dev",
        "table_name": "depot-dev-documents",
        "bucket_name": f"depot-dev-content-{EMULATOR_ACCOUNT_ID}",
        "secret_name": "depot/dev/api-keys",
        "kms_alias": "alias/depot-dev",
    }


def test_content_bucket_is_versioned_kms_encrypted_with_bucket_keys_and_private(snap: dict) -> None:
    bucket = snap["content_bucket"]
    assert bucket["versioning"] == "Enabled"
    (rule,) = bucket["encryption"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == snap["data_key"]["arn"]
    assert rule["BucketKeyEnabled"] is True
    assert bucket["public_access_block"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["ownership"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_content_bucket_lifecycle_expires_old_versions_and_abandoned_uploads(snap: dict) -> None:
    (rule,) = snap["content_bucket"]["lifecycle"]
    assert rule["Status"] == "Enabled"
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    assert rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 2


def test_data_key_rotates(snap: dict) -> None:
    assert snap["data_key"]["rotation"] is True
    (statement,) = snap["data_key"]["policy"]["Statement"]
    # Only AWS's documented default statement: the account, through IAM.
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{EMULATOR_ACCOUNT_ID}:root"}


def test_table_schema_matches_the_service(snap: dict) -> None:
    table = snap["table"]
    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    (gsi,) = table["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == "pending"
    assert gsi["KeySchema"] == [
        {"AttributeName": "pending_pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert gsi["Projection"]["ProjectionType"] == "KEYS_ONLY"
    assert snap["ttl"] == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_table_has_pitr_kms_and_no_deletion_protection_in_dev(snap: dict) -> None:
    pitr = snap["pitr"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"
    sse = snap["table"]["SSEDescription"]
    assert sse["SSEType"] == "KMS"
    assert sse["KMSMasterKeyArn"] == snap["data_key"]["arn"]
    assert snap["table"]["DeletionProtectionEnabled"] is False


def test_secret_is_kms_encrypted_and_starts_with_an_empty_key_set(snap: dict) -> None:
    assert snap["secret"]["KmsKeyId"] in {
        snap["data_key"]["arn"],
        snap["data_key"]["arn"].split("/")[-1],
    }
    assert snap["secret_value"] == {"keys": []}


def test_network_spans_three_azs_with_one_nat_in_dev(snap: dict, run: RootRun) -> None:
    zones = {s["AvailabilityZone"] for s in snap["subnets"]}
    assert zones == {"eu-west-1a", "eu-west-1b", "eu-west-1c"}
    assert len(snap["subnets"]) == 6
    assert len(snap["nat_gateways"]) == 1
    assert run.outputs["public_subnet_cidrs"] == ["10.10.0.0/24", "10.10.1.0/24", "10.10.2.0/24"]
    private = [
        s for s in snap["subnets"] if s["CidrBlock"] not in run.outputs["public_subnet_cidrs"]
    ]
    tags = [{t["Key"]: t["Value"] for t in s.get("Tags", [])} for s in private]
    assert all(t.get("karpenter.sh/discovery") == "depot" for t in tags), tags


def test_vpc_endpoints_keep_data_and_control_traffic_in_the_vpc(snap: dict) -> None:
    endpoints = {
        e["ServiceName"].rsplit(".", 1)[-1]
        if "ecr" not in e["ServiceName"]
        else e["ServiceName"].split("eu-west-1.")[1]: e["VpcEndpointType"]
        for e in snap["vpc_endpoints"]
    }
    assert endpoints == {
        "s3": "Gateway",
        "dynamodb": "Gateway",
        "ecr.api": "Interface",
        "ecr.dkr": "Interface",
        "sts": "Interface",
        "secretsmanager": "Interface",
    }


def test_flow_logs_capture_all_traffic(snap: dict) -> None:
    (flow,) = snap["flow_logs"]
    assert flow["TrafficType"] == "ALL"
    group_name = flow.get("LogGroupName") or flow["LogDestination"].split(":log-group:")[1]
    group = snap["log_groups"][group_name.removesuffix(":*")]
    assert group["retentionInDays"] == 30 and group.get("kmsKeyId")


def test_cluster_logs_everything_encrypts_secrets_and_restricts_its_public_endpoint(
    snap: dict,
) -> None:
    cluster = snap["cluster"]
    entries = cluster["logging"]["clusterLogging"]
    enabled = {t for entry in entries if entry["enabled"] for t in entry["types"]}
    assert enabled == {
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    }
    assert cluster["encryptionConfig"][0]["resources"] == ["secrets"]
    vpc = cluster["resourcesVpcConfig"]
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["publicAccessCidrs"] == ["203.0.113.0/24"]
    audit_group = snap["log_groups"]["/aws/eks/depot-dev/cluster"]
    assert audit_group["retentionInDays"] == 30 and audit_group.get("kmsKeyId")


def test_nodes_live_in_private_subnets(snap: dict, run: RootRun) -> None:
    private_ids = {
        s["SubnetId"]
        for s in snap["subnets"]
        if s["CidrBlock"] not in run.outputs["public_subnet_cidrs"]
    }
    assert set(snap["nodegroup"]["subnets"]) == private_ids


def test_karpenter_interruption_queue_is_encrypted_and_fed_by_eventbridge(snap: dict) -> None:
    assert snap["queue"].get("SqsManagedSseEnabled") == "true"
    rules = [r for r in snap["event_rules"] if r.startswith("depot-dev-karpenter-")]
    assert len(rules) == 4, rules


def test_web_acl_has_managed_rules_and_a_rate_limit(snap: dict) -> None:
    rules = {r["Name"]: r for r in snap["web_acl"]["Rules"]}
    assert {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    } <= set(rules)
    rate = rules["rate-limit-per-ip"]["Statement"]["RateBasedStatement"]
    assert rate["Limit"] == 2000 and rate["AggregateKeyType"] == "IP"


def test_certificate_is_dns_validated_for_the_service_host(snap: dict) -> None:
    certificate = snap["certificate"]
    assert certificate["DomainName"] == "depot.dev.example.com"
    assert certificate["DomainValidationOptions"][0]["ValidationMethod"] == "DNS"


def test_cloudtrail_is_multi_region_validated_and_encrypted(snap: dict) -> None:
    (trail,) = snap["trails"]
    assert trail["IsMultiRegionTrail"] is True
    assert trail["LogFileValidationEnabled"] is True
    assert trail.get("KmsKeyId")


def test_backup_plan_exists(snap: dict) -> None:
    assert [p["BackupPlanName"] for p in snap["backup_plans"]] == ["depot-dev"]


def test_second_plan_shows_no_changes(run: RootRun) -> None:
    assert run.plan_exit_code == 0, run.plan_text[-3000:]


def test_destroy_leaves_nothing_behind(run: RootRun) -> None:
    assert run.snapshot["state_after_destroy"] == []
    assert run.leftovers == {}, run.leftovers
