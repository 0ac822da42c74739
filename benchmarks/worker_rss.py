"""The worker process of `benchmarks.sync rss`: only what the worker Lambda holds.

It reads its setup (endpoints, tables, customers) as JSON on stdin, syncs every customer's
orders in batches of 10 jobs as the queue hands them over, and prints its peak RSS as JSON.
With no customers it sets up and stops: the idle baseline.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import requests

from cbxero.adapters.dynamo import (
    DynamoActionLog,
    DynamoCustomerLinkRepository,
    DynamoProductMappingRepository,
    DynamoSettingsRepository,
    DynamoTaskRepository,
)
from cbxero.adapters.marketplace import SimpleApiClient
from cbxero.adapters.problems import problem_of
from cbxero.adapters.xero import XeroClient
from cbxero.ports import Clock, SyncJob
from cbxero.services.sync import CustomerSync

SQS_BATCH = 10


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM). Not ru_maxrss: on Linux that survives
    exec, so a child would report its parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def main() -> int:
    setup: dict[str, Any] = json.load(sys.stdin)
    db = boto3.client(
        "dynamodb",
        endpoint_url=setup["dynamodb"],
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - DynamoDB Local's placeholder
    )
    tables = setup["tables"]
    http, clock = requests.Session(), Clock()
    username, password, key = setup["market_credentials"]
    xero = XeroClient(
        api_url=setup["xero"], tenant_id=setup["tenant"], access_token=setup["token"], http=http
    )
    engine = CustomerSync(
        settings=DynamoSettingsRepository(db, tables["ResellersTable"]),
        links=DynamoCustomerLinkRepository(db, tables["MappingsTable"]),
        mappings=DynamoProductMappingRepository(db, tables["MappingsTable"]),
        tasks=DynamoTaskRepository(db, tables["TasksTable"]),
        action_log=DynamoActionLog(db, tables["ActionLogTable"]),
        marketplace=SimpleApiClient(
            base_url=setup["market"],
            username=username,
            password=password,
            subscription_key=key,
            http=http,
            clock=clock,
        ),
        xero=lambda _reseller: xero,
        clock=clock,
        describe=problem_of,
    )
    started = time.perf_counter()
    jobs = [
        SyncJob(reseller_id=setup["reseller"], customer_id=c, slot="bench")
        for c in setup["customers"]
    ]
    while jobs:
        more: list[SyncJob] = []
        for start in range(0, len(jobs), SQS_BATCH):
            batch = jobs[start : start + SQS_BATCH]
            for job in batch:
                if job.check:
                    engine.check_changes(job)
            if engine.process(batch).more:
                more.extend(job.continued() for job in batch)
        jobs = more
    print(
        json.dumps(
            {
                "peak_rss_mb": peak_rss_mb(),
                "seconds": time.perf_counter() - started,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
