"""The back-fill benchmark, against a baseline measured in the same run.

backfill_10k_virtual_minutes: a reseller with 100 customers, none read yet, chooses a history
start one year back (`HistoryDesk.choose`, what `POST /history` calls). 9,900 historic orders
(between a year and a month old) and 100 active subscriptions whose open billing is older than
the start make 10,000 tasks. The looks it queues go as the queue and the worker take them: 10 to
a batch, a customer with more than one run's worth continued (`SyncJob.continued()`), then the
retry sweep for what waits. Xero is the emulator with its limits (60 a minute, 5 in flight,
5,000 a day), on the virtual clock, through the DynamoDB rate governor. Reported: the Xero calls,
the virtual minutes (goal <= 5, the backlog's bar), the responses of 429 (goal 0), the estimate
`GET /history` gave at the start, and its progress at the end. Baseline: one look-up and one
create per order through the same governor, measured on 1,000 orders and scaled.

Run: PYTHONPATH=layers/cbxero:. .venv/bin/python -m benchmarks.backfill [--orders N]
"""

from __future__ import annotations

import argparse
import time
from collections import deque
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from benchmarks.sync import SQS_BATCH, build_world, dynamodb, naive, record, retry_jobs, synced
from cbxero.adapters.dynamo.history import DynamoHistoryRecord
from cbxero.adapters.dynamo.task_figures import DynamoTaskFigures
from cbxero.adapters.problems import problem_of
from cbxero.domain.history import estimate
from cbxero.domain.model import TaskStatus
from cbxero.keys import Table
from cbxero.ports import JobQueue, SyncJob, TaskFigures
from cbxero.services.history import HistoryDesk, HistoryView
from cbxero.services.sync import TASKS_PER_RUN, CustomerSync
from local.world import SyncWorld

CUSTOMERS = 100


class ListQueue(JobQueue):
    """The sync queue as the benchmark drains it: what is sent, in order."""

    def __init__(self) -> None:
        self.jobs: list[SyncJob] = []

    def send(self, jobs: Sequence[SyncJob]) -> int:
        self.jobs.extend(jobs)
        return len(jobs)


def history_world(
    client: Any, tables: dict[str, str], tasks_per_run: int = TASKS_PER_RUN
) -> SyncWorld:
    world = build_world(client, tables, governed=True)
    world.history = DynamoHistoryRecord(client, tables[Table.RESELLERS])
    world.engine = CustomerSync(  # as the worker's: the history record wired in
        settings=world.repos.settings,
        links=world.repos.links,
        mappings=world.repos.mappings,
        tasks=world.repos.tasks,
        action_log=world.repos.action_log,
        marketplace=world.marketplace,
        xero=lambda _reseller: world.client(),
        clock=world.clock,
        describe=problem_of,
        history=world.history,
        tasks_per_run=tasks_per_run,
    )
    return world


def desk(world: SyncWorld, queue: JobQueue, figures: TaskFigures) -> HistoryDesk:
    assert world.history is not None
    assert world.governor is not None
    governor = world.governor
    return HistoryDesk(
        history=world.history,
        links=world.repos.links,
        figures=figures,
        marketplace=world.marketplace,
        queue=queue,
        action_log=world.repos.action_log,
        budget=lambda _reseller: governor.budget(world.org.tenant_id),
        clock=world.clock,
    )


def place_history(world: SyncWorld, customers: int, orders: int) -> list[str]:
    """Customers linked but never read; per customer one active subscription whose open billing
    is 400 days old, and historic orders between a year and a month old."""
    ids = [world.customer(f"Customer {n:05d}", linked=True) for n in range(customers)]
    now = world.clock.now()
    for customer in ids:
        subscription = world.market.add_subscription(
            customer, "E3", created=(now - timedelta(days=700)).date()
        )
        world.market.add_order(
            customer,
            [("E3", 2, "36.00")],
            order_type="renewal",
            created=now - timedelta(days=400),
            subscription_id=subscription["id"],
        )
    historic = orders - customers
    for n in range(historic):
        age = timedelta(days=31 + (n * 333) // max(historic, 1), minutes=n % 1440)
        world.market.add_order(
            ids[n % customers],
            [("E3", 1 + n % 7, "36.00"), ("TEAMS", 2, "4.00")],
            created=now - age,
        )
    return ids


def drain(world: SyncWorld, queue: ListQueue) -> int:
    """The queued jobs as the worker takes them, 10 to a batch, continued while a customer has
    more than a run's worth; then the retry sweep until nothing waits. Returns the batches."""
    batches = 0
    jobs = list(queue.jobs)
    queue.jobs.clear()
    while jobs:
        waiting = deque(jobs)
        while waiting:  # continuations join the end of the queue
            batch = [waiting.popleft() for _ in range(min(SQS_BATCH, len(waiting)))]
            batches += 1
            for job in batch:
                if job.check:
                    world.engine.check_changes(job)
            outcome = world.engine.process(batch)
            if outcome.more:
                waiting.extend(job.continued() for job in batch if job.process)
        jobs = retry_jobs(world)
    return batches


def run(
    client: Any,
    tables: dict[str, str],
    orders: int,
    customers: int,
    tasks_per_run: int = TASKS_PER_RUN,
) -> dict[str, Any]:
    world = history_world(client, tables, tasks_per_run)
    place_history(world, customers, orders)
    queue = ListQueue()
    history = desk(world, queue, DynamoTaskFigures(client, tables[Table.TASKS]))
    started, wall = world.clock.now(), time.perf_counter()
    chosen = history.choose(
        world.reseller_id, (started - timedelta(days=365)).date().isoformat(), "benchmark"
    )
    # What GET /history says once every task is made and none is processed yet.
    budget = history.view(world.reseller_id).budget
    assert budget is not None
    before = estimate(orders, budget.left, budget.limit, started)
    batches = drain(world, queue)
    minutes = (world.clock.now() - started).total_seconds() / 60
    wall = time.perf_counter() - wall
    after: HistoryView = history.view(world.reseller_id)
    done = synced(world)
    tasks = world.repos.tasks.for_reseller(world.reseller_id)
    return {
        "world": world,
        "customers": [
            link.customer_id for link in world.repos.links.for_reseller(world.reseller_id)
        ],
        "orders": orders,
        "tasks": len(tasks),
        "synced": done,
        "waiting": sum(task.status is not TaskStatus.SYNCED for task in tasks),
        "jobs_queued": chosen.jobs_queued,
        "batches": batches,
        "xero_calls": world.accounting_calls(),
        "responses_429": sum(world.org.refused.values()),
        "virtual_minutes": minutes,
        "wall_seconds": wall,
        "estimate_minutes": before.minutes,
        "estimate_calls": before.calls,
        "progress_after": {"done": after.done, "waiting": after.waiting},
        "budget_after": after.budget.model_dump() if after.budget else None,
    }


def backfill(orders: int = 10_000) -> dict[str, Any]:
    with dynamodb() as (client, tables):
        result = run(client, tables, orders, CUSTOMERS)
        world: SyncWorld = result.pop("world")
        assert result["synced"] == result["tasks"] == orders, result
        # Baseline: one look-up and one create per order through the same governor, scaled.
        sample = min(1000, orders)
        world.org.invoices.clear()
        world.xero.calls.clear()
        naive_started = world.clock.now()
        naive(world, result.pop("customers"), sample)
        naive_minutes = (world.clock.now() - naive_started).total_seconds() / 60 * orders / sample
    minutes = result["virtual_minutes"]
    print(
        f"backfill_10k_virtual_minutes: {minutes:.2f} virtual minutes for {orders} historic "
        f"orders ({result['tasks']} tasks, {result['synced']} synced), {result['responses_429']} "
        f"responses of 429, {result['xero_calls']} Xero calls, {result['wall_seconds']:.0f} s of "
        f"wall time; estimate at the start {result['estimate_minutes']:.2f} minutes "
        f"({result['estimate_calls']} calls); naive {naive_minutes:.0f} minutes "
        f"(ratio {minutes / naive_minutes:.3f}); goal <= 5 and 0"
    )
    return {
        "backfill_10k_virtual_minutes": {
            "value": round(minutes, 2),
            "responses_429": result["responses_429"],
            "xero_calls": result["xero_calls"],
            "orders": orders,
            "tasks_synced": result["synced"],
            "jobs_queued": result["jobs_queued"],
            "worker_batches": result["batches"],
            "estimate_minutes": round(result["estimate_minutes"], 2),
            "estimate_calls": result["estimate_calls"],
            "wall_seconds": round(result["wall_seconds"], 1),
            "naive_virtual_minutes": round(naive_minutes, 1),
            "ratio_to_naive": round(minutes / naive_minutes, 4),
            "goal": 5,
        }
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--orders", type=int, default=10_000)
    args = parser.parse_args()
    figures = backfill(args.orders)
    if args.orders == 10_000:
        record(figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
