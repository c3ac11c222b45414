"""Client CPU of one DynamoDB GetItem with each candidate client, against the emulator.

Run in its own project (bench/clients/pyproject.toml), pinned to one core by the caller:
`uv run --frozen --project bench/clients python bench/clients/compare.py ENDPOINT TABLE N`.
Prints JSON: per client and concurrency, CPU ms per call (every thread of this process,
from `time.process_time`) and wall ms per call. Loops are bounded: N calls per case.

- boto3, calling thread: the floor of `make bench` (apps/boto_floor.py) in this project.
- boto3 in worker threads: what depot does (docs/adr/0007), an asyncio + uvloop event loop
  handing each call to a thread through anyio with a capacity limiter.
- aiobotocore: botocore's model, signing and parsing on aiohttp, on the event loop.
- aiodynamo on httpx and on aiohttp: a DynamoDB-only async client (its own signing and
  JSON, no botocore model layer).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.to_thread
import boto3
import uvloop
from boto3.dynamodb.types import TypeSerializer
from botocore.config import Config

REGION = "eu-west-1"
KEY = {"pk": "TENANT#bench-clients", "sk": "DOC#01JBENCHCLIENTS000000000000"}
ITEM = {
    **KEY,
    "tenant": "bench-clients",
    "id": "01JBENCHCLIENTS000000000000",
    "name": "bench",
    "content_type": "application/octet-stream",
    "metadata": {"team": "platform", "purpose": "bench"},
    "version": 3,
    "status": "available",
    "created_at": "2026-12-02T10:00:00.000Z",
    "updated_at": "2026-12-02T10:00:01.000Z",
    "size": 1024,
}
CONCURRENCY = (1, 8)


def service_config() -> Config:
    """depot's client settings (depot.aws.Aws)."""
    return Config(
        region_name=REGION,
        connect_timeout=1.0,
        read_timeout=3.0,
        retries={"mode": "standard", "total_max_attempts": 2},
        max_pool_connections=32,
        tcp_keepalive=True,
        parameter_validation=False,
    )


def _wire_key() -> dict[str, Any]:
    return {name: {"S": value} for name, value in KEY.items()}


def measure_sync(fn: Callable[[], Any], calls: int) -> dict[str, float]:
    for _ in range(20):  # warm connections and caches
        fn()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(calls):
        fn()
    return _per_call(cpu, wall, calls)


async def measure_async(
    fn: Callable[[], Awaitable[Any]], calls: int, concurrency: int
) -> dict[str, float]:
    async def worker(share: int) -> None:
        for _ in range(share):
            await fn()

    await asyncio.gather(*(worker(20 // concurrency + 1) for _ in range(concurrency)))
    share = calls // concurrency
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker(share) for _ in range(concurrency)))
    return _per_call(cpu, wall, share * concurrency)


def _per_call(cpu: float, wall: float, calls: int) -> dict[str, float]:
    return {
        "calls": calls,
        "cpu_ms_per_call": round(1000 * (time.process_time() - cpu) / calls, 3),
        "wall_ms_per_call": round(1000 * (time.perf_counter() - wall) / calls, 3),
    }


async def boto3_in_threads(endpoint: str, table: str, calls: int, concurrency: int) -> Any:
    client = boto3.session.Session().client(
        "dynamodb", endpoint_url=endpoint, config=service_config()
    )
    limiter = anyio.CapacityLimiter(32)

    async def get() -> Any:
        return await anyio.to_thread.run_sync(
            lambda: client.get_item(TableName=table, Key=_wire_key(), ConsistentRead=True),
            limiter=limiter,
        )

    return await measure_async(get, calls, concurrency)


async def aiobotocore_client(endpoint: str, table: str, calls: int, concurrency: int) -> Any:
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    config = AioConfig(
        region_name=REGION,
        connect_timeout=1.0,
        read_timeout=3.0,
        retries={"mode": "standard", "total_max_attempts": 2},
        max_pool_connections=32,
        parameter_validation=False,
    )
    async with get_session().create_client(
        "dynamodb", endpoint_url=endpoint, config=config
    ) as client:

        async def get() -> Any:
            return await client.get_item(TableName=table, Key=_wire_key(), ConsistentRead=True)

        return await measure_async(get, calls, concurrency)


async def aiodynamo_client(endpoint: str, table: str, calls: int, concurrency: int) -> Any:
    import httpx
    from aiodynamo.client import Client
    from aiodynamo.credentials import Credentials
    from aiodynamo.http.httpx import HTTPX
    from yarl import URL

    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(timeout=httpx.Timeout(3.0, connect=1.0), limits=limits) as h:
        client = Client(HTTPX(h), Credentials.auto(), REGION, endpoint=URL(endpoint))

        async def get() -> Any:
            return await client.get_item(table, KEY, consistent_read=True)

        return await measure_async(get, calls, concurrency)


async def aiodynamo_aiohttp(endpoint: str, table: str, calls: int, concurrency: int) -> Any:
    import aiohttp
    from aiodynamo.client import Client
    from aiodynamo.credentials import Credentials
    from aiodynamo.http.aiohttp import AIOHTTP
    from yarl import URL

    timeout = aiohttp.ClientTimeout(connect=1.0, sock_read=3.0)
    connector = aiohttp.TCPConnector(limit=32)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        client = Client(AIOHTTP(session), Credentials.auto(), REGION, endpoint=URL(endpoint))

        async def get() -> Any:
            return await client.get_item(table, KEY, consistent_read=True)

        return await measure_async(get, calls, concurrency)


def main() -> None:
    endpoint, table, calls = sys.argv[1], sys.argv[2], int(sys.argv[3])
    client = boto3.session.Session().client(
        "dynamodb", endpoint_url=endpoint, config=service_config()
    )
    serializer = TypeSerializer()
    client.put_item(TableName=table, Item={k: serializer.serialize(v) for k, v in ITEM.items()})
    # Every client must read the same item back, or the comparison compares nothing.
    assert "Item" in client.get_item(TableName=table, Key=_wire_key(), ConsistentRead=True)
    out: dict[str, Any] = {
        "boto3, calling thread (floor)": {
            "1": measure_sync(
                lambda: client.get_item(TableName=table, Key=_wire_key(), ConsistentRead=True),
                calls,
            )
        }
    }
    for name, case in (
        ("boto3 in worker threads (depot today)", boto3_in_threads),
        ("aiobotocore", aiobotocore_client),
        ("aiodynamo on httpx", aiodynamo_client),
        ("aiodynamo on aiohttp", aiodynamo_aiohttp),
    ):
        out[name] = {
            str(c): uvloop.run(case(endpoint, table, calls, c))  # type: ignore[arg-type]
            for c in CONCURRENCY
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
