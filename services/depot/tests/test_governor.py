"""The resource governor and the AWS call wrapper: no I/O beyond the process."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    CredentialRetrievalError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    PartialCredentialsError,
    ProxyConnectionError,
    ReadTimeoutError,
    SSLError,
    UnknownServiceError,
)
from service_runtime.aws import DependencyError
from service_runtime.deadline import OverloadedError, request_deadline
from service_runtime.metrics import create_metrics

from depot.aws import BACKENDS, Aws
from depot.config import Settings
from depot.governor import UploadSlots, upload_slots
from depot.ratelimit import TenantRateLimiter

MIB = 1024 * 1024


def _aws(**overrides: Any) -> Aws:
    settings = Settings(
        table_name="t-depot",
        bucket_name="b-depot",
        keys_secret_id="s",
        AWS_REGION="eu-west-1",
        breaker_failure_threshold=3,
        **overrides,
    )
    return Aws(settings, create_metrics("depot", "test", "test", BACKENDS))


def _client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "x"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "Op",
    )


def _raise(exc: BaseException) -> Any:
    def fail() -> Any:
        raise exc

    return fail


@pytest.mark.parametrize(
    ("exc", "outcome"),
    [
        (ReadTimeoutError(endpoint_url="x"), "timeout"),
        (EndpointConnectionError(endpoint_url="x"), "unreachable"),
        (ConnectionClosedError(endpoint_url="x"), "unreachable"),
        (SSLError(endpoint_url="x", error="bad certificate"), "unreachable"),
        (ProxyConnectionError(proxy_url="x", error="refused"), "unreachable"),
        (NoCredentialsError(), "credentials"),
        (PartialCredentialsError(provider="env", cred_var="secret"), "credentials"),
        (CredentialRetrievalError(provider="web-identity", error_msg="expired"), "credentials"),
        (UnknownServiceError(service_name="x", known_service_names="y"), "sdk_error"),
        (_client_error("ExpiredTokenException", 400), "credentials"),
        (_client_error("AccessDenied", 403), "access_denied"),
        (_client_error("KMS.DisabledException", 400), "access_denied"),
        (_client_error("KMSAccessDeniedException", 400), "access_denied"),
        (_client_error("InternalServerError", 500), "server_error"),
        (_client_error("ThrottlingException", 400), "throttled"),
    ],
)
def test_every_botocore_failure_is_a_dependency_error(exc: BaseException, outcome: str) -> None:
    """A failure that is not the request's fault is a 503, never an unclassified 500."""
    aws = _aws()
    with pytest.raises(DependencyError) as raised:
        aws.call_sync("s3", "GetObject", _raise(exc))
    assert raised.value.outcome == outcome


def test_a_request_error_and_a_bug_stay_what_they_are() -> None:
    aws = _aws()
    with pytest.raises(ClientError):
        aws.call_sync("dynamodb", "PutItem", _raise(_client_error("ValidationException", 400)))
    with pytest.raises(ParamValidationError):
        aws.call_sync("dynamodb", "PutItem", _raise(ParamValidationError(report="bad")))


def test_throttles_never_open_the_breaker_failures_do() -> None:
    aws = _aws()
    throttle = _raise(_client_error("ThrottlingException", 400))
    for _ in range(20):
        with pytest.raises(DependencyError):
            aws.call_sync("dynamodb", "GetItem", throttle)
    assert aws.call_sync("dynamodb", "GetItem", lambda: "answered") == "answered"
    for _ in range(3):
        with pytest.raises(DependencyError):
            aws.call_sync("dynamodb", "GetItem", _raise(_client_error("InternalError", 500)))
    with pytest.raises(DependencyError, match="circuit open"):
        aws.call_sync("dynamodb", "GetItem", lambda: "not called")


def test_upload_slots_from_the_memory_limit() -> None:
    # 768 MiB pod, 192 MiB for the process itself, 8 MiB parts at 3 parts per upload.
    assert upload_slots(0, 768 * MIB, 192 * MIB, 8 * MIB) == 24
    assert upload_slots(0, 100 * MIB, 192 * MIB, 8 * MIB) == 1, "never zero"
    assert upload_slots(5, 768 * MIB, 192 * MIB, 8 * MIB) == 5, "configured wins"


def test_a_full_upload_pool_refuses_at_once() -> None:
    slots = UploadSlots(2)

    async def main() -> None:
        with slots.hold(), slots.hold():
            with pytest.raises(OverloadedError), slots.hold():
                pass
            assert slots.in_use == 2
        assert slots.in_use == 0

    anyio.run(main)


def test_metadata_calls_do_not_queue_behind_transfers_and_queueing_has_a_deadline() -> None:
    aws = _aws(aws_max_pool_connections=1, request_deadline_seconds=0.3)
    release = anyio.Event()

    async def main() -> None:
        async with anyio.create_task_group() as tasks:
            # A download holds the only transfer worker ...
            tasks.start_soon(lambda: aws.run(lambda: anyio.from_thread.run(release.wait)))
            await anyio.sleep(0.1)
            # ... and a DynamoDB call still runs at once, on its own pool.
            with anyio.fail_after(2):
                assert await aws.call("dynamodb", "GetItem", lambda: "metadata") == "metadata"
            # A second transfer queues only as long as the deadline, then 503 overloaded.
            started = anyio.current_time()
            with pytest.raises(OverloadedError):
                await aws.run(lambda: "never runs")
            assert 0.25 <= anyio.current_time() - started < 2
            release.set()

    anyio.run(main)


def test_a_request_deadline_counts_the_time_already_spent() -> None:
    aws = _aws(aws_max_pool_connections=1)
    release = anyio.Event()

    async def main() -> None:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(
                lambda: aws.call("dynamodb", "Query", lambda: anyio.from_thread.run(release.wait))
            )
            await anyio.sleep(0.1)
            with request_deadline(0.2):
                await anyio.sleep(0.3)  # the request already spent its budget elsewhere
                started = anyio.current_time()
                with pytest.raises(OverloadedError):
                    await aws.call("dynamodb", "GetItem", lambda: "never runs")
                assert anyio.current_time() - started < 0.1, "no wait past the deadline"
            release.set()

    anyio.run(main)


def test_presigned_urls_are_virtual_hosted_on_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    url = _aws().s3.generate_presigned_url(
        "get_object", Params={"Bucket": "b-depot", "Key": "k"}, ExpiresIn=60
    )
    assert url.startswith("https://b-depot.s3."), url


def test_token_bucket_per_tenant() -> None:
    limiter = TenantRateLimiter(rate_per_second=2, burst=3)
    decisions = [limiter.take("noisy", now=100.0) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert decisions[-1].reset_seconds == 1
    assert limiter.take("quiet", now=100.0).allowed, "another tenant keeps its own budget"
    assert limiter.take("noisy", now=100.5).allowed, "refilled at the rate"
    assert limiter.headers(decisions[-1]) == {
        "RateLimit-Policy": '"tenant";q=3;w=2',
        "RateLimit": '"tenant";r=0;t=1',
    }
