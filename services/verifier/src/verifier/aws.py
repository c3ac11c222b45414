"""The worker's AWS clients on the platform's client factory (service_runtime.aws):
explicit timeouts, retries, breaker, worker limiters and dependency metrics."""

from __future__ import annotations

from typing import Literal

from botocore.config import Config
from service_runtime.aws import AwsGateway
from service_runtime.metrics import Metrics

from verifier.config import Settings

Backend = Literal["dynamodb", "s3", "sqs"]
BACKENDS: tuple[Backend, ...] = ("dynamodb", "s3", "sqs")


class Aws(AwsGateway):
    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        # One message at a time: small pools; `transfer` reads and hashes an object.
        super().__init__(
            settings, metrics, workers={"dynamodb": 2, "s3": 2, "sqs": 2, "transfer": 1}
        )
        self.dynamodb = self.client("dynamodb")
        self.s3 = self.client("s3")
        # A long poll holds the connection open for up to wait_seconds: the read timeout
        # must outlast it, or every empty poll would end as a timeout.
        self.sqs = self.client(
            "sqs", Config(read_timeout=settings.wait_seconds + settings.aws_read_timeout_seconds)
        )
