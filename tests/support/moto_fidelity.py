"""Where the pinned moto departs from the AWS API reference in a way the platform's
tests meet, put AWS's documented behaviour back. Imported into every emulator process
(tests/support/moto.py); each correction names its authority, and
tests/infra/test_emulator_fidelity.py shows both that the pinned moto still departs (so a
moto upgrade that fixes it retires the correction) and that the corrected server behaves
as AWS documents.

SetQueueAttributes changes the attributes it is given and no others (Amazon SQS API
Reference, SetQueueAttributes). moto 5.2.5 (moto/sqs/models.py, Queue._set_attributes)
sets the queue's Policy to whatever the call carries, so writing RedrivePolicy alone
erases the queue policy. Terraform writes both at once (aws_sqs_queue_redrive_policy and
aws_sqs_queue_policy on the event queue): when the redrive write lands second, the
provider's policy waiter never reads its policy back and waits out the create timeout,
which is how an emulator apply hung for more than twelve minutes."""

from __future__ import annotations

from typing import Any

from moto.sqs.models import Queue

_set_attributes = Queue._set_attributes


def _set_only_given_attributes(
    self: Queue, attributes: dict[str, Any], now: float | None = None
) -> None:
    kept = getattr(self, "policy", None)  # absent while the queue is being constructed
    _set_attributes(self, attributes, now)
    if "Policy" not in attributes:
        self.policy = kept


Queue._set_attributes = _set_only_given_attributes  # type: ignore[method-assign]
