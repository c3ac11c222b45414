"""The emulator behaves as AWS documents where the platform's applies depend on it
(tests/support/moto_fidelity.py), and each correction is still needed by the pinned moto."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests.infra.aws import Aws
from tests.support.moto import MotoServer

POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": "*",
            }
        ],
    }
)

# Terraform's two writers of the event queue, in the order that lost the policy:
# aws_sqs_queue_policy, then aws_sqs_queue_redrive_policy.
SCENARIO = textwrap.dedent(
    """
    import json

    def policy_after_redrive_write(sqs, policy):
        dlq = sqs.create_queue(QueueName="events-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        queue = sqs.create_queue(QueueName="events")["QueueUrl"]
        sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": policy})
        redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5}
        sqs.set_queue_attributes(QueueUrl=queue, Attributes={"RedrivePolicy": json.dumps(redrive)})
        attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
        return attributes.get("Policy"), attributes.get("RedrivePolicy")
    """
)


def test_the_emulator_keeps_a_queue_policy_when_another_attribute_is_written(
    moto_server: MotoServer,
) -> None:
    scope: dict[str, object] = {}
    exec(SCENARIO, scope)  # noqa: S102 - the scenario is this file's own text
    policy, redrive = scope["policy_after_redrive_write"](
        Aws(moto_server.url).client("sqs"), POLICY
    )  # type: ignore[operator]
    assert redrive, "the redrive policy was written"
    assert policy is not None and json.loads(policy) == json.loads(POLICY), (
        "SetQueueAttributes with RedrivePolicy only must leave the queue policy as it was "
        "(Amazon SQS API Reference, SetQueueAttributes)"
    )


def test_the_pinned_moto_still_erases_it_without_the_correction() -> None:
    """The pinned moto, in a fresh process without the correction, still departs from
    AWS here. When an upgrade fixes it, this fails: drop the correction then."""
    program = SCENARIO + textwrap.dedent(
        f"""
        import boto3
        from moto import mock_aws

        with mock_aws():
            sqs = boto3.client("sqs", region_name="eu-west-1",
                               aws_access_key_id="t", aws_secret_access_key="t")
            print(json.dumps(policy_after_redrive_write(sqs, {POLICY!r})))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"the scenario did not run:\n{result.stderr}")
    policy, redrive = json.loads(result.stdout.strip().splitlines()[-1])
    assert redrive
    assert policy is None, "the pinned moto keeps the policy now: retire the correction"
