"""Sync engine benchmarks, each against a baseline measured in the same run.

- xero_calls_per_order: 1,000 orders over 100 customers of one reseller, new-invoice mode,
  mappings warm, worker batches of 10 customers (the FIFO queue's batch). Baseline: a naive
  integration (look the order up, create its invoice: two calls an order). Goal <= 0.05.
- backlog_10k_virtual_minutes: 10,000 orders for one organisation under the emulator's
  60-a-minute limit, on its virtual clock, with the DynamoDB rate governor. Baseline: one call
  per order through the same governor, measured on 1,000 orders and scaled. Goal <= 5 minutes
  and 0 responses of 429.
- worker_peak_rss_mb: the peak RSS of the process that ran the backlog (one worker syncing
  10,000 orders). Baseline: a process that only imports the worker's code. Goal <= 128.

Both use DynamoDB Local and the emulators in-process. Run: make bench, or
.venv/bin/python -m benchmarks.sync {calls|backlog}.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cbxero.adapters.governor import DynamoRateGovernor, XeroLimits
from cbxero.domain.errors import RateLimited
from cbxero.domain.model import TaskStatus
from cbxero.domain.xero import ContactRef, Invoice, LineItem
from cbxero.ports import SyncJob
from local import template as cfn
from local.stack import DynamoDBLocal, LoopbackServer, create_tables, dynamodb_client
from local.world import SyncWorld, dynamo_repositories
from local.xero_emulator import Limits

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results.json"
SQS_BATCH = 10


@contextmanager
def dynamodb() -> Iterator[tuple[Any, dict[str, str]]]:
    engine = DynamoDBLocal().start()
    try:
        client = dynamodb_client(engine.endpoint)
        yield client, create_tables(client, f"b{uuid.uuid4().hex[:6]}", cfn.load())
    finally:
        engine.stop()


def build_world(client: Any, tables: dict[str, str], *, governed: bool) -> SyncWorld:
    world = SyncWorld(dynamo_repositories(client, tables))
    if governed:
        world.governor = DynamoRateGovernor(
            client,
            tables["RateLimitsTable"],
            clock=world.clock,
            sleep=lambda seconds: world.clock.advance(seconds=seconds),
            limits=XeroLimits(),
        )
        world.sleep = lambda seconds: world.clock.advance(seconds=seconds)
    world.configure(notifications="errors_and_actions")
    world.product("E3", "Microsoft 365 E3", "36.00")
    world.product("TEAMS", "Teams Essentials", "4.00")
    return world


def place_orders(world: SyncWorld, customers: int, orders: int) -> list[str]:
    ids = [world.customer(f"Customer {n:05d}", linked=True) for n in range(customers)]
    for n in range(orders):
        world.order(ids[n % customers], [("E3", 1 + n % 7, "36.00"), ("TEAMS", 2, "4.00")])
    return ids


def work_through(world: SyncWorld, customers: list[str]) -> None:
    """As the queue and the worker do: jobs 10 to a batch; then, while tasks wait, the
    dispatcher's retry sweep once they are due (the virtual clock jumps there)."""
    jobs = [world.job(c) for c in customers]
    while jobs:
        for start in range(0, len(jobs), SQS_BATCH):
            batch = jobs[start : start + SQS_BATCH]
            for job in batch:
                if job.check:
                    world.engine.check_changes(job)
            outcome = world.engine.process(batch)
            if outcome.more:
                jobs.extend(job.continued() for job in batch)
        jobs = retry_jobs(world)


def retry_jobs(world: SyncWorld) -> list[SyncJob]:
    waiting = [
        task for task in world.repos.tasks.for_reseller(world.reseller_id) if not task.is_final
    ]
    if not waiting:
        return []
    due = min(task.retry_at or world.clock.now() for task in waiting)
    if due > world.clock.now():
        world.clock.current = due
    return [
        world.job(customer, check=False, retries_only=True)
        for _, customer in world.repos.tasks.due_for_retry(world.clock.now())
    ]


def synced(world: SyncWorld) -> int:
    tasks = world.repos.tasks.for_reseller(world.reseller_id)
    return sum(task.status is TaskStatus.SYNCED for task in tasks)


def naive(world: SyncWorld, customers: list[str], orders: int) -> int:
    """One look-up and one create per order, through the same client and limits."""
    xero = world.client()
    contact_of = {
        c: link.xero_contact_id
        for c in customers
        if (link := world.repos.links.get(world.reseller_id, c)) and link.xero_contact_id
    }
    made = 0
    for order in list(world.market.orders.values())[:orders]:
        if patiently(world, xero.find_invoice_by_reference, order["orderNumber"]) is None:
            patiently(
                world,
                xero.create_invoice,
                Invoice(
                    contact=ContactRef(contact_id=contact_of[order["customerId"]]),
                    line_items=tuple(
                        LineItem(
                            description=d["description"],
                            quantity=d["quantity"],
                            unit_amount=d["unitPrice"]["amount"],
                        )
                        for d in order["details"]
                    ),
                    reference=order["orderNumber"],
                ),
                f"naive-{order['id']}",
            )
            made += 1
    return made


def patiently[T](world: SyncWorld, call: Callable[..., T], *args: Any) -> T:
    """The call, waiting out (on the virtual clock) every limit it meets."""
    while True:
        try:
            return call(*args)
        except RateLimited as limited:
            world.clock.advance(seconds=limited.retry_after)


def calls_per_order() -> dict[str, Any]:
    with dynamodb() as (client, tables):
        world = build_world(client, tables, governed=False)
        world.xero.limits = Limits(per_minute=10**6, per_day=10**7)  # calls are only counted
        customers = place_orders(world, 100, 1000)
        work_through(world, customers)
        calls = world.accounting_calls()
        done = synced(world)
        assert done == 1000, f"only {done} of 1000 orders synced"
        world.xero.calls.clear()
        world.org.invoices.clear()
        naive(world, customers, 1000)
        naive_calls = world.accounting_calls()
    figure = calls / 1000
    baseline = naive_calls / 1000
    print(
        f"xero_calls_per_order: {figure:.3f} ({calls} calls for 1000 orders; naive "
        f"{baseline:.2f}, ratio {figure / baseline:.3f}); goal <= 0.05"
    )
    return {
        "value": round(figure, 4),
        "calls": calls,
        "orders": 1000,
        "naive_calls_per_order": baseline,
        "ratio_to_naive": round(figure / baseline, 4),
        "goal": 0.05,
    }


def backlog() -> dict[str, Any]:
    with dynamodb() as (client, tables):
        world = build_world(client, tables, governed=True)
        customers = place_orders(world, 100, 10_000)
        started, wall = world.clock.now(), time.perf_counter()
        work_through(world, customers)
        minutes = (world.clock.now() - started).total_seconds() / 60
        wall = time.perf_counter() - wall
        refused = sum(world.org.refused.values())
        calls = world.accounting_calls()
        done = synced(world)
        assert done == 10_000, f"only {done} of 10000 orders synced"
        # Baseline: one call per order through the same governor, 1,000 orders, scaled.
        world.org.invoices.clear()
        world.xero.calls.clear()
        naive_started = world.clock.now()
        made = naive(world, customers, 1000)
        naive_minutes = (world.clock.now() - naive_started).total_seconds() / 60 * 10
    print(
        f"backlog_10k_virtual_minutes: {minutes:.2f} virtual minutes, {refused} responses of "
        f"429, {calls} Xero calls, {wall:.0f} s of wall time; naive: {naive_minutes:.0f} "
        f"minutes (ratio {minutes / naive_minutes:.3f}); goal <= 5 and 0"
    )
    del made
    return {
        "backlog_10k_virtual_minutes": {
            "value": round(minutes, 2),
            "responses_429": refused,
            "xero_calls": calls,
            "wall_seconds": round(wall, 1),
            "naive_virtual_minutes": round(naive_minutes, 1),
            "ratio_to_naive": round(minutes / naive_minutes, 4),
            "goal": 5,
        },
    }


def peak_rss() -> dict[str, Any]:
    """One worker process syncing 10,000 orders against the emulators and DynamoDB Local,
    which run in this process; the worker's own peak RSS is what is measured."""
    with dynamodb() as (client, tables):
        world = build_world(client, tables, governed=False)
        world.xero.limits = Limits(per_minute=10**6, per_day=10**7)  # memory, not limits
        customers = place_orders(world, 100, 10_000)
        servers = [LoopbackServer(world.xero.app).start(), LoopbackServer(world.market.app).start()]
        setup = {
            "dynamodb": client.meta.endpoint_url,
            "tables": tables,
            "xero": servers[0].url,
            "tenant": world.org.tenant_id,
            "token": world.access_token,
            "market": servers[1].url,
            "market_credentials": [*world.market.credentials, world.market.subscription_key],
            "reseller": world.reseller_id,
            "customers": customers,
        }
        try:
            baseline = worker_process({**setup, "customers": []})
            measured = worker_process(setup)
        finally:
            for server in servers:
                server.stop()
        done = synced(world)
    assert done == 10_000, f"synced {done} of 10000"
    rss, base = measured["peak_rss_mb"], baseline["peak_rss_mb"]
    print(
        f"worker_peak_rss_mb: {rss:.0f} MB syncing 10,000 orders in {measured['seconds']:.0f} s "
        f"(the same process set up but idle: {base:.0f} MB, ratio {rss / base:.2f}); "
        "goal <= 128"
    )
    return {
        "value": round(rss, 1),
        "idle_worker_mb": round(base, 1),
        "ratio": round(rss / base, 2),
        "goal": 128,
    }


def worker_process(setup: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.worker_rss"],
        input=json.dumps(setup),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def record(figures: dict[str, Any]) -> None:
    existing = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    existing.update(figures)
    RESULTS.write_text(json.dumps(existing, indent=2) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("which", choices=["calls", "backlog", "rss"])
    args = parser.parse_args()
    if args.which == "calls":
        record({"xero_calls_per_order": calls_per_order()})
    elif args.which == "backlog":
        record(backlog())
    else:
        record({"worker_peak_rss_mb": peak_rss()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
