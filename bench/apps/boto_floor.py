"""The floor of a storage request: the client CPU of one bare boto3 DynamoDB GetItem, with
the service's own client settings, against the emulator. Prints JSON.

Run with the service's interpreter: `python bench/apps/boto_floor.py ENDPOINT TABLE N`.
"""

import json
import sys
import time

import boto3
from botocore.config import Config


def main() -> None:
    endpoint, table, calls = sys.argv[1], sys.argv[2], int(sys.argv[3])
    config = Config(
        region_name="eu-west-1",
        connect_timeout=1.0,
        read_timeout=3.0,
        retries={"mode": "standard", "total_max_attempts": 2},
        max_pool_connections=32,
        tcp_keepalive=True,
        parameter_validation=False,  # as depot's DynamoDB client (depot.aws.Aws)
    )
    client = boto3.session.Session().client("dynamodb", endpoint_url=endpoint, config=config)
    key = {"pk": {"S": "HEALTH"}, "sk": {"S": "HEALTH"}}
    for _ in range(20):  # warm the connection pool and botocore's caches
        client.get_item(TableName=table, Key=key)
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(calls):
        client.get_item(TableName=table, Key=key)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(json.dumps({"calls": calls, "cpu_ms_per_call": 1000 * cpu / calls,
                      "wall_ms_per_call": 1000 * wall / calls}))  # fmt: skip


if __name__ == "__main__":
    main()
