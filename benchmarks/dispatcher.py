"""dispatcher_aws_calls_per_customer: AWS calls the dispatcher makes per due customer.

100,000 customers with auto-sync on, over 20 resellers on the five-minute schedule, in
DynamoDB Local; jobs go to an SQS FIFO queue. Every boto3 call the
dispatcher's clients make is counted. Baseline, measured in the same run on a sample: a naive
dispatcher that scans the customer table and sends one message per customer. Goal <= 0.15.
The queue's answers are made in-process (see answering_sqs): the boto3 calls are real.

Run: make bench, or .venv/bin/python -m benchmarks.dispatcher [--customers N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from cbxero.adapters.dynamo import (
    DynamoCustomerLinkRepository,
    DynamoSettingsRepository,
    DynamoTaskRepository,
    to_item,
)
from cbxero.adapters.sqs import SqsJobQueue
from cbxero.domain.settings import AutoSync, Settings
from cbxero.keys import AUTO_SYNC_RESELLER, PK, SK
from cbxero.services.dispatch import Dispatcher
from local import template as cfn
from local.stack import DynamoDBLocal, create_tables, dynamodb_client

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results.json"
RESELLERS = 20
GOAL = 0.15


def counted(client: Any, calls: Counter[str]) -> Any:
    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    client.meta.events.register("before-call", count)
    return client


def seed(db: Any, table: str, customers: int) -> None:
    """Customer links with auto-sync on, 25 to a BatchWriteItem (setup, not counted)."""
    items = []
    for n in range(customers):
        reseller = f"reseller-{n % RESELLERS:02d}"
        customer = f"{n:07d}"
        link = {"reseller_id": reseller, "customer_id": customer, "auto_sync": True}
        items.append(
            to_item(
                {
                    PK: reseller,
                    SK: f"CUSTOMER#{customer}",
                    AUTO_SYNC_RESELLER: reseller,
                    "link": link,
                }
            )
        )
    for start in range(0, len(items), 25):
        request = {table: [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]}
        while request:
            request = db.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}


class _Body:
    """The raw stream AWSResponse reads a canned answer from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Any:
        yield self._data


def answering_sqs() -> Any:
    """A real boto3 SQS client whose requests are answered in-process, as SQS would (message
    ids and body checksums), instead of going out: the calls are real, the queue is not, so
    that a 100,000-message run measures the dispatcher and not an emulated queue."""
    client = boto3.client(
        "sqs",
        endpoint_url="http://sqs.invalid",
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",  # noqa: S106 - never sent anywhere
    )

    def answer(request: Any, **_: Any) -> AWSResponse:
        sent = json.loads(request.body)
        entries = sent.get("Entries") or [{"Id": "0", "MessageBody": sent.get("MessageBody", "")}]
        body: dict[str, Any] = {
            "Successful": [
                {
                    "Id": entry["Id"],
                    "MessageId": str(uuid.uuid4()),
                    "MD5OfMessageBody": hashlib.md5(entry["MessageBody"].encode()).hexdigest(),  # noqa: S324 - SQS's own checksum
                }
                for entry in entries
            ]
        }
        if "Entries" not in sent:
            body = body["Successful"][0]
        return AWSResponse(request.url, 200, HTTPHeaders(), _Body(json.dumps(body).encode()))

    client.meta.events.register("before-send.sqs", answer)  # type: ignore[arg-type]
    return client


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--naive-sample", type=int, default=5_000)
    args = parser.parse_args()
    engine = DynamoDBLocal().start()
    try:
        db = dynamodb_client(engine.endpoint)
        tables = create_tables(db, f"d{uuid.uuid4().hex[:6]}", cfn.load())
        settings = DynamoSettingsRepository(db, tables["ResellersTable"])
        for n in range(RESELLERS):
            settings.save_if(
                f"reseller-{n:02d}", Settings(auto_sync=AutoSync.EVERY_5_MINUTES), None
            )
        started = time.perf_counter()
        seed(db, tables["MappingsTable"], args.customers)
        print(f"seeded {args.customers} customers in {time.perf_counter() - started:.0f} s")
        sqs = answering_sqs()
        queue_url = "https://sqs.us-east-1.amazonaws.com/123456789012/jobs.fifo"

        calls: Counter[str] = Counter()
        counted_db, counted_sqs = counted(db, calls), counted(sqs, calls)
        dispatcher = Dispatcher(
            settings=DynamoSettingsRepository(counted_db, tables["ResellersTable"]),
            links=DynamoCustomerLinkRepository(counted_db, tables["MappingsTable"]),
            tasks=DynamoTaskRepository(counted_db, tables["TasksTable"]),
            queue=SqsJobQueue(counted_sqs, queue_url),
        )
        started = time.perf_counter()
        report = dispatcher.dispatch(AutoSync.EVERY_5_MINUTES, datetime.now(UTC))
        seconds = time.perf_counter() - started
        assert report.jobs == args.customers, f"{report.jobs} jobs for {args.customers}"
        figure = sum(calls.values()) / args.customers
        calls = Counter(calls)  # a copy: the naive run below counts on the same clients
        naive = naive_calls_per_customer(db, sqs, tables["MappingsTable"], queue_url, args)
    finally:
        engine.stop()
    print(
        f"dispatcher_aws_calls_per_customer: {figure:.4f} ({dict(calls)} for "
        f"{args.customers} customers, {seconds:.0f} s); naive {naive:.2f} "
        f"(ratio {figure / naive:.3f}); goal <= {GOAL}"
    )
    existing = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    existing["dispatcher_aws_calls_per_customer"] = {
        "value": round(figure, 4),
        "calls": dict(calls),
        "customers": args.customers,
        "naive": round(naive, 3),
        "ratio_to_naive": round(figure / naive, 4),
        "goal": GOAL,
    }
    RESULTS.write_text(json.dumps(existing, indent=2) + "\n")
    return 0


def naive_calls_per_customer(
    db: Any, sqs: Any, table: str, queue_url: str, args: argparse.Namespace
) -> float:
    """Scan for auto-sync customers, one SendMessage each; on a sample of the customers."""
    calls: Counter[str] = Counter()
    counted(db, calls)
    counted(sqs, calls)
    sent = 0
    request: dict[str, Any] = {"TableName": table, "Limit": 1000}
    while sent < args.naive_sample:
        page = db.scan(**request)
        for item in page.get("Items", []):
            if sent >= args.naive_sample:
                break
            sqs.send_message(
                QueueUrl=queue_url,
                MessageBody=json.dumps({"customer": item[SK]["S"]}),
                MessageGroupId=item[PK]["S"],
                MessageDeduplicationId=f"naive-{sent}",
            )
            sent += 1
        if "LastEvaluatedKey" not in page:
            break
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return sum(calls.values()) / max(sent, 1)


if __name__ == "__main__":
    raise SystemExit(main())
