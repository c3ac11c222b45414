"""depot's AWS clients: DynamoDB, S3 and Secrets Manager on the platform's client factory
(service_runtime.aws: explicit timeouts, retries, breaker, worker limiters, metrics)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeVar

from botocore.config import Config
from service_runtime.aws import AwsGateway
from service_runtime.metrics import Metrics

from depot.config import Settings

Backend = Literal["dynamodb", "s3", "secretsmanager"]
BACKENDS: tuple[Backend, ...] = ("dynamodb", "s3", "secretsmanager")
T = TypeVar("T")


class Aws(AwsGateway):
    """The three clients, and the one way the service calls them."""

    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        pool = settings.aws_max_pool_connections
        # One worker pool per backend, each as large as that client's connection pool,
        # and one for streaming downloads: metadata reads never queue behind transfers.
        super().__init__(
            settings,
            metrics,
            workers={"dynamodb": pool, "s3": pool, "secretsmanager": 4, "transfer": pool},
        )
        # DynamoDB skips botocore's client-side parameter validation (about a tenth of a
        # GetItem's CPU, docs/adr/0002): every parameter is built by repository.py from
        # already validated input, and DynamoDB validates again (a ValidationException is a
        # client_error, so still a 500 of ours, never a 503).
        self.dynamodb = self.client("dynamodb", Config(parameter_validation=False))
        self.s3 = self.client("s3")
        self.secretsmanager = self.client("secretsmanager")

    async def run(self, fn: Callable[[], T], pool: str = "transfer", backend: str = "s3") -> T:
        """Blocking work that is not one AWS call (streaming reads, presigning): S3's."""
        return await super().run(fn, pool, backend)
