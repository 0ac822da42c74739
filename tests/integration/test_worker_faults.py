"""Nothing is lost in silence: the worker's batch on DynamoDB Local, with faults at each step.

A failure while processing one reseller (the claim throttled, the flush refused, the token
refresh failing) stays inside that reseller: its claims are released, its tasks get a retry time
the dispatcher's sweep honours, the Action Log says so, and only its messages are reported
failed. Every order ends synced, waiting with a reason, or in the dead-letter queue with an
Action Log entry.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cbxero.adapters.problems import problem_of
from cbxero.config import WorkerConfig
from cbxero.domain.errors import UpstreamUnavailable
from cbxero.domain.model import SyncTask, TaskStatus
from cbxero.domain.settings import AutoSync
from cbxero.keys import STATUS_KEY, Table
from cbxero.ports import JobQueue, SyncJob
from cbxero.services.dispatch import Dispatcher
from cbxero.services.sync import CustomerSync
from local.invoke import LambdaContext, _environment
from local.records import DynamoTaskRecords, LogRecords
from local.simpleapi_emulator import SimpleApiEmulator
from local.world import SteppedClock, SyncWorld, dynamo_repositories
from local.xero_emulator import XeroEmulator
from tests.conftest import LocalTables

# The worker validates its config at cold start: placeholders (the tests hand `handle` its parts).
with _environment(
    {
        n.upper(): "https://unused.example"
        for n, f in WorkerConfig.model_fields.items()
        if f.is_required()
    }
):
    from functions.worker import app as worker

pytestmark = pytest.mark.dynamodb_local
MAX_RECEIVES = 5


class FaultyDynamoDB:
    """The task table's DynamoDB client, where a test makes chosen transactions fail:
    a reseller's claim (tasks put in processing) or its flush (tasks put in an end state)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.claims: Counter[str] = Counter()  # reseller -> claims still to fail
        self.reads: Counter[str] = Counter()  # reseller -> reads of its tasks still to fail
        self.flushes: Counter[str] = Counter()
        self.struck: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def query(self, **request: Any) -> Any:
        named = json.dumps(request.get("ExpressionAttributeValues", {}))
        for reseller, left in self.reads.items():
            if left > 0 and f'"{reseller}#' in named:
                self.reads[reseller] -= 1
                self.struck["read"] += 1
                raise ClientError(
                    {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "-"}},
                    "Query",
                )
        return self.inner.query(**request)

    def transact_write_items(self, **request: Any) -> Any:
        statuses = {
            item["Put"]["Item"][STATUS_KEY]["S"]
            for item in request["TransactItems"]
            if "Put" in item
        }
        for status_key in statuses:
            reseller, status = status_key.rsplit("#", 1)
            if status == "processing" and self.claims[reseller] > 0:
                self.claims[reseller] -= 1
                self.struck["claim"] += 1
                raise ClientError(  # what DynamoDB answers a throttled transaction
                    {
                        "Error": {"Code": "TransactionCanceledException", "Message": "throttled"},
                        "CancellationReasons": [{"Code": "ThrottlingError"}]
                        * len(request["TransactItems"]),
                    },
                    "TransactWriteItems",
                )
            if status in ("synced", "action_required") and self.flushes[reseller] > 0:
                self.flushes[reseller] -= 1
                self.struck["flush"] += 1
                raise ClientError(
                    {"Error": {"Code": "InternalServerError", "Message": "try again"}},
                    "TransactWriteItems",
                )
        return self.inner.transact_write_items(**request)


@dataclass
class Resellers:
    """Several resellers on one set of tables, one marketplace and one Xero (an organisation
    each is not needed: their contacts differ), synced by one engine."""

    worlds: dict[str, SyncWorld]
    engine: CustomerSync
    db: FaultyDynamoDB
    clock: SteppedClock
    refresh_fails: Counter[str] = field(default_factory=Counter)  # -1: always

    def world(self, reseller_id: str) -> SyncWorld:
        return self.worlds[reseller_id]


@pytest.fixture
def resellers(local_tables: LocalTables) -> Resellers:
    db = FaultyDynamoDB(local_tables.client)
    repos = dynamo_repositories(local_tables.client, local_tables.names)
    repos.tasks = DynamoTaskRecords(db, local_tables.names[Table.TASKS])  # type: ignore[arg-type]
    clock, xero, market = SteppedClock(), XeroEmulator(), SimpleApiEmulator()
    worlds = {}
    for name in ("a", "b", "c", "d", "e"):
        world = SyncWorld(repos, clock=clock, xero=xero, market=market, reseller_id=f"r-{name}")
        world.configure(invoice_target="existing")  # auto-sync off: only the sweep retries
        if name == "a":
            world.product("TEAMS", "Teams Essentials", "4.00")
        else:
            world.item_for("TEAMS", "Teams Essentials", item_price="4.00")
        worlds[world.reseller_id] = world
    failing: Counter[str] = Counter()

    def xero_for(reseller_id: str) -> Any:
        if failing[reseller_id]:  # the token vault's refresh fails
            failing[reseller_id] -= 1
            raise UpstreamUnavailable("Xero's identity service answered 503 to a token refresh")
        return worlds[reseller_id].client()

    first = worlds["r-a"]
    engine = CustomerSync(
        settings=repos.settings,
        links=repos.links,
        mappings=repos.mappings,
        tasks=repos.tasks,
        action_log=repos.action_log,
        marketplace=first.marketplace,
        xero=xero_for,
        clock=clock,
        describe=problem_of,
    )
    return Resellers(worlds, engine, db, clock, failing)


def event(messages: list[Message]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": m.message_id,
                "receiptHandle": m.message_id,
                "body": m.body,
                "attributes": {
                    "ApproximateReceiveCount": str(m.receives),
                    "SentTimestamp": "0",
                    "SenderId": "local",
                    "ApproximateFirstReceiveTimestamp": "0",
                    "MessageGroupId": m.group,
                    "MessageDeduplicationId": m.message_id,
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:jobs.fifo",
                "awsRegion": "us-east-1",
            }
            for m in messages
        ]
    }


_ids = itertools.count(1)


@dataclass
class Message:
    body: str
    group: str
    message_id: str = field(default_factory=lambda: f"m{next(_ids)}")
    receives: int = 0


class FifoQueue(JobQueue):
    """SQS FIFO as the worker sees it: batches of 10, failed messages back until their
    fifth receive, then the dead-letter queue."""

    def __init__(self) -> None:
        self.waiting: list[Message] = []
        self.dead: list[Message] = []

    def send(self, jobs: Any) -> int:
        for job in jobs:
            self.put(job.model_dump_json(), job.reseller_id)
        return len(jobs)

    def put(self, body: str, group: str) -> Message:
        message = Message(body, group)
        self.waiting.append(message)
        return message

    def deliver(self, handle: Callable[[dict[str, Any]], Any]) -> list[str]:
        """One receive of up to 10 messages; returns the ids reported failed."""
        batch, self.waiting = self.waiting[:10], self.waiting[10:]
        for message in batch:
            message.receives += 1
        result = handle(event(batch))
        failed = [f["itemIdentifier"] for f in result["batchItemFailures"]]
        for message in batch:
            if message.message_id in failed:
                (self.dead if message.receives >= MAX_RECEIVES else self.waiting).append(message)
        return failed


def handler(resellers: Resellers, queue: FifoQueue) -> Callable[[dict[str, Any]], Any]:
    return lambda batch: worker.handle(
        batch,
        LambdaContext("WorkerFunction"),  # type: ignore[arg-type]
        sync=resellers.engine,
        queue=queue,
        max_receives=MAX_RECEIVES,
    )


def place(resellers: Resellers, per_reseller: int = 2, orders: int = 3) -> dict[str, list[Any]]:
    placed: dict[str, list[Any]] = {}
    for reseller_id, world in resellers.worlds.items():
        for n in range(per_reseller):
            customer = world.customer(f"{reseller_id} customer {n}", linked=True)
            placed[customer] = [
                world.order(customer, [("TEAMS", 1, "4.00")]) for _ in range(orders)
            ]
    return placed


def job_for(resellers: Resellers, customer: str) -> SyncJob:
    owner = next(w for w in resellers.worlds.values() if customer in _customers(w))
    return owner.job(customer, actor="jane@reseller")


def _customers(world: SyncWorld) -> set[str]:
    return {
        c for c, v in world.market.customers.items() if v.get("resellerId") == world.reseller_id
    }


def tasks_of(resellers: Resellers, reseller_id: str) -> Iterator[SyncTask]:
    yield from resellers.world(reseller_id).repos.tasks.for_reseller(reseller_id)


# ---------------------------------------------------------------------- one reseller's failure
@pytest.mark.parametrize("step", ["claim", "flush", "refresh"])
def test_a_failure_while_processing_stays_inside_its_reseller(
    resellers: Resellers, step: str
) -> None:
    # issue 10: a claim, a flush or a token refresh raising failed the whole batch: every
    # reseller's jobs came back, and a task left new was never taken up with auto-sync off.
    placed = place(resellers, per_reseller=1, orders=2)
    jobs = [job_for(resellers, customer) for customer in placed]
    for job in jobs:
        resellers.engine.check_changes(job)
    {
        "claim": resellers.db.claims,
        "flush": resellers.db.flushes,
        "refresh": resellers.refresh_fails,
    }[step]["r-a"] += 1
    outcome = resellers.engine.process(jobs)
    assert set(outcome.failed) == {"r-a"}
    for reseller_id in ("r-b", "r-c", "r-d", "r-e"):
        assert {t.status for t in tasks_of(resellers, reseller_id)} == {TaskStatus.SYNCED}
    waiting = list(tasks_of(resellers, "r-a"))
    assert all(t.retry_at is not None and t.reason for t in waiting), waiting
    assert {t.status for t in waiting} <= {TaskStatus.NEW, TaskStatus.FAILED}
    (entry,) = [
        e
        for e in resellers.world("r-a").repos.action_log.for_reseller("r-a")
        if e.action == "sync_job"
    ]
    assert "stopped" in entry.message and "2 task(s) will be retried" in entry.message
    # The retry sweep honours the retry time, auto-sync off notwithstanding.
    queue = FifoQueue()
    resellers.clock.advance(minutes=10)
    report = Dispatcher(
        settings=resellers.engine._ports.settings,
        links=resellers.engine._ports.links,
        tasks=resellers.engine._ports.tasks,
        queue=queue,
    ).dispatch(AutoSync.EVERY_5_MINUTES, resellers.clock.now())
    assert (report.retry_jobs, report.jobs) == (1, 0)
    assert queue.deliver(handler(resellers, queue)) == []
    assert {t.status for t in tasks_of(resellers, "r-a")} == {TaskStatus.SYNCED}
    assert sum(len(i["LineItems"]) for i in resellers.world("r-a").invoices()) == 10  # 5 x 2


def test_two_jobs_for_one_customer_in_one_batch_claim_each_task_once(
    resellers: Resellers,
) -> None:
    # issue 9: a sync by hand and the schedule in one batch: the claim transaction wrote each
    # task twice, which AWS refuses whole (ValidationException, no cancellation reasons).
    world = resellers.world("r-a")
    customer = world.customer("Krauses Factory", linked=True)
    orders = [world.order(customer, [("TEAMS", n, "4.00")]) for n in (1, 2)]
    world.engine.check_changes(world.job(customer))
    by_hand = world.job(customer, task_ids=tuple(o["id"] for o in orders), actor="jane@reseller")
    outcome = resellers.engine.process([by_hand, world.job(customer, check=False)])
    assert outcome.failed == {}
    assert {world.task(o).status for o in orders} == {TaskStatus.SYNCED}
    (invoice,) = world.invoices()
    assert len(invoice["LineItems"]) == 2


# ---------------------------------------------------------------------- the worker fault run
def test_the_worker_loses_nothing_under_faults_at_each_step(
    resellers: Resellers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Syncs by hand for every customer of five resellers, through the worker's real batch
    handling and a FIFO queue: r-a's claims are throttled twice, r-b's flushes fail twice,
    r-c's token refresh fails twice, r-e's never works, r-d's tasks cannot be read for five
    deliveries; unreadable messages ride along. The dispatcher's sweep runs every five
    minutes (auto-sync is off)."""
    logged: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(worker.logger, "error", lambda msg, extra: logged.append((msg, extra)))
    placed = place(resellers, per_reseller=2, orders=3)
    queue = FifoQueue()
    for customer in placed:
        job = job_for(resellers, customer)
        queue.put(job.model_dump_json(), job.reseller_id)
    queue.put(json.dumps({"reseller_id": "r-a", "customer_id": "cust-9", "slot": 5}), "r-a")
    queue.put("{not json", "r-z")
    resellers.db.claims["r-a"] = 2
    resellers.db.flushes["r-b"] = 2
    resellers.db.reads["r-d"] = MAX_RECEIVES
    resellers.refresh_fails["r-c"] = 2
    resellers.refresh_fails["r-e"] = 10**6
    dispatcher = Dispatcher(
        settings=resellers.engine._ports.settings,
        links=resellers.engine._ports.links,
        tasks=resellers.engine._ports.tasks,
        queue=queue,
    )
    handle = handler(resellers, queue)
    for _tick in range(8 * 12):  # eight hours of five-minute ticks
        dispatcher.dispatch(AutoSync.EVERY_5_MINUTES, resellers.clock.now())
        while queue.waiting:
            queue.deliver(handle)
        resellers.clock.advance(minutes=5)

    log = resellers.engine._ports.action_log
    assert isinstance(log, LogRecords)
    entries = [e for r in (*resellers.worlds, "r-z") for e in log.for_reseller(r, 1000)]
    told = Counter(e.customer_id for e in entries if "dead-letter queue" in e.message)
    dead = Counter(SyncJob.model_validate_json(m.body).customer_id for m in queue.dead)
    assert {c: n for c, n in dead.items() if told[c] < n} == {}  # each with its entry
    end: Counter[str] = Counter()
    for reseller_id in resellers.worlds:
        for task in tasks_of(resellers, reseller_id):
            if task.status is TaskStatus.SYNCED:
                end["synced"] += 1
            elif task.reason and task.retry_at is not None:
                end["waiting with a reason"] += 1
            elif task.customer_id in dead:
                end["in the dead-letter queue, Action Log told"] += 1
            else:
                end["lost"] += 1
    assert end == {
        "synced": 18,  # r-a, r-b, r-c: every fault cleared
        "waiting with a reason": 6,  # r-e: the token never refreshes
        "in the dead-letter queue, Action Log told": 6,  # r-d: the store never read its tasks
    }
    assert resellers.db.struck == {"claim": 2, "flush": 2, "read": MAX_RECEIVES}
    assert any("could not be read" in e.message for e in entries if e.reseller_id == "r-a")
    assert [(m, e.get("reseller_id")) for m, e in logged] == [
        ("unreadable sync job dropped", "r-a"),
        ("unreadable sync job dropped", None),  # not JSON: a log line is all there can be
    ]
    descriptions = Counter(
        line["Description"] for i in resellers.world("r-a").invoices() for line in i["LineItems"]
    )
    assert max(descriptions.values()) == 1  # no order's line twice
    print(
        f"\nworker fault run: {sum(end.values())} orders: {dict(end)}, 0 lost; "
        f"{len(queue.dead)} jobs in the dead-letter queue, {sum(told.values())} Action Log "
        f"entries for them; faults struck: {dict(resellers.db.struck)}, token refreshes failed: "
        f"r-c 2, r-e every time; 2 unreadable messages logged"
    )
