"""The worker's queue: receive (long poll), delete, hand back, and its depth for probes.
Only what the role's ConsumeOwnQueue statement allows (infra/modules/event-worker-identity)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from verifier.aws import Aws


@dataclass(frozen=True)
class Message:
    body: str
    receipt: str
    id: str
    receives: int


class Queue:
    def __init__(self, aws: Aws, url: str, wait_seconds: int, visibility_seconds: int) -> None:
        self._aws = aws
        self._url = url
        self._wait = wait_seconds
        self._visibility = visibility_seconds

    async def receive(self) -> list[Message]:
        """At most one message: the worker verifies one object at a time, and a message it
        holds but has not started would only wait out its visibility timeout."""
        response: dict[str, Any] = await self._aws.call(
            "sqs",
            "ReceiveMessage",
            lambda: self._aws.sqs.receive_message(
                QueueUrl=self._url,
                MaxNumberOfMessages=1,
                WaitTimeSeconds=self._wait,
                VisibilityTimeout=self._visibility,
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
            ),
        )
        return [
            Message(
                body=str(raw.get("Body", "")),
                receipt=str(raw["ReceiptHandle"]),
                id=str(raw["MessageId"]),
                receives=int(raw.get("Attributes", {}).get("ApproximateReceiveCount", 1)),
            )
            for raw in response.get("Messages", [])
        ]

    async def delete(self, message: Message) -> None:
        await self._aws.call(
            "sqs",
            "DeleteMessage",
            lambda: self._aws.sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message.receipt),
        )

    async def hand_back(self, message: Message, after_seconds: int) -> None:
        """Make the message visible again after `after_seconds` (0: at once)."""
        await self._aws.call(
            "sqs",
            "ChangeMessageVisibility",
            lambda: self._aws.sqs.change_message_visibility(
                QueueUrl=self._url, ReceiptHandle=message.receipt, VisibilityTimeout=after_seconds
            ),
        )

    async def probe(self) -> None:
        await self._aws.call(
            "sqs",
            "GetQueueAttributes",
            lambda: self._aws.sqs.get_queue_attributes(
                QueueUrl=self._url, AttributeNames=["ApproximateNumberOfMessages"]
            ),
        )
