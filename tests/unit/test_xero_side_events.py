"""Xero's events delivered twice, out of order, in any batches, and hostile messages: the end
state and the Action Log are those of delivering each once in order, and no batch crashes."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cbxero.config import XeroEventsConfig
from cbxero.domain.connection import ConnectionStatus, XeroConnection, XeroTenant
from cbxero.domain.model import TaskStatus, XeroState
from cbxero.domain.xero_events import EventCategory, XeroEvent
from cbxero.ports import OrganisationDirectory, PollCursors
from cbxero.services.xero_side import XeroSideWatch
from local.invoke import LambdaContext, _environment
from local.world import Repositories, SyncWorld
from local.xero_emulator.replies import ms_time
from tests.fakes import (
    FakeActionLog,
    FakeConnections,
    FakeLinks,
    FakeMappings,
    FakeSettings,
    FakeTasks,
)

with _environment(
    {
        n.upper(): "https://unused.example"
        for n, f in XeroEventsConfig.model_fields.items()
        if f.is_required()
    }
):
    from functions.xero_events import app as door


def context() -> Any:
    """What the door reads of Lambda's context; a new one per call, as Lambda gives: its
    deadline runs from now (one made at import had run out by the time a late test polled)."""
    return LambdaContext("XeroEventsFunction")


class Directory(OrganisationDirectory):
    def __init__(self) -> None:
        self.bound: dict[str, str] = {}

    def resellers_of(self, tenant_id: str) -> list[str]:
        return sorted(r for r, t in self.bound.items() if t == tenant_id)

    def organisations(self) -> Iterator[tuple[str, str]]:
        return iter(sorted(self.bound.items()))


class Cursors(PollCursors):
    def __init__(self) -> None:
        self.until: dict[tuple[str, str], datetime] = {}

    def get(self, reseller_id: str, tenant_id: str) -> datetime | None:
        return self.until.get((reseller_id, tenant_id))

    def advance(
        self, reseller_id: str, tenant_id: str, to: datetime, expected: datetime | None
    ) -> bool:
        if self.until.get((reseller_id, tenant_id)) != expected:
            return False
        self.until[(reseller_id, tenant_id)] = to
        return True


@dataclass
class Scene:
    world: SyncWorld
    tasks: FakeTasks
    links: FakeLinks
    log: FakeActionLog
    watch: XeroSideWatch
    events: list[XeroEvent]
    orders: list[dict[str, Any]]

    def reset(self, tasks: dict[Any, Any], links: dict[Any, Any]) -> None:
        self.tasks.tasks = copy.deepcopy(tasks)
        self.links.links = copy.deepcopy(links)
        self.log.entries = []
        self.world.clock.advance(minutes=1)  # a fresh minute of Xero's limit (the emulator's)

    def state(self) -> tuple[Any, ...]:
        return (
            sorted((k, t.xero_side) for k, t in self.tasks.tasks.items()),
            sorted(
                (k, v.xero_contact_archived, v.xero_contact_merged_into)
                for k, v in self.links.links.items()
            ),
            sorted((e.entry_id, e.message, e.at) for e in self.log.entries if e.actor == "xero"),
        )


def scene() -> Scene:
    tasks, links, log = FakeTasks(), FakeLinks(), FakeActionLog()
    world = SyncWorld(Repositories(FakeSettings(), links, FakeMappings(), tasks, log))
    world.configure(new_invoice_status="AUTHORISED")
    customer = world.customer("Paying Ltd", linked=True)
    world.product("MPN-1", "Office 365", "10.00")
    orders = [world.order(customer, [("MPN-1", n + 1, "10.00")]) for n in range(3)]
    world.sync(customer)
    directory, connections = Directory(), FakeConnections()
    tenant = world.org.tenant_id
    directory.bound[world.reseller_id] = tenant
    connections.stored[world.reseller_id] = XeroConnection(
        reseller_id=world.reseller_id,
        status=ConnectionStatus.CONNECTED,
        tenant=XeroTenant(tenant_id=tenant, name="Org"),
        connected_since=world.clock.now() - timedelta(hours=1),
    )
    watch = XeroSideWatch(
        directory=directory,
        connections=connections,
        settings=world.repos.settings,
        tasks=tasks,
        links=links,
        action_log=log,
        cursors=Cursors(),
        xero=lambda _reseller: world.client(),
        clock=world.clock,
    )
    events = []

    def change(category: EventCategory, row: dict[str, Any], key: str, **fields: Any) -> None:
        world.clock.advance(seconds=5)
        row.update(fields, UpdatedDateUTC=ms_time(world.clock.now()))
        events.append(
            XeroEvent(
                resource_url="https://api.xero.com/api.xro/2.0/x",
                resource_id=row[key],
                event_date_utc=world.clock.now(),
                event_type="UPDATE",
                event_category=category,
                tenant_id=tenant,
                tenant_type="ORGANISATION",
            )
        )

    first, second, third = (world.invoice_for(o) for o in orders)
    change(EventCategory.INVOICE, first, "InvoiceID", AmountPaid=4.0, AmountDue=6.0)
    change(EventCategory.INVOICE, first, "InvoiceID", AmountPaid=10.0, AmountDue=0.0, Status="PAID")
    change(EventCategory.INVOICE, second, "InvoiceID", Status="VOIDED")
    change(EventCategory.INVOICE, third, "InvoiceID", AmountPaid=2.5, AmountDue=27.5)
    contact = next(iter(world.org.contacts.values()))
    change(EventCategory.CONTACT, contact, "ContactID", ContactStatus="ARCHIVED")
    return Scene(world, tasks, links, log, watch, events, orders)


SCENE = scene()
BEFORE = (copy.deepcopy(SCENE.tasks.tasks), copy.deepcopy(SCENE.links.links))
SCENE.reset(*BEFORE)
for _event in SCENE.events:  # each once, in order: what every other delivery must come to
    SCENE.watch.reflect_events([_event])
ONCE_IN_ORDER = SCENE.state()


def test_once_in_order_shows_every_change() -> None:
    sides = [SCENE.world.task(o).xero_side for o in SCENE.orders]
    assert [s and s.state for s in sides] == [XeroState.PAID, XeroState.VOIDED, XeroState.PART_PAID]
    (link,) = SCENE.links.links.values()
    assert link.xero_contact_archived
    assert len(ONCE_IN_ORDER[2]) == 4  # paid, voided, part paid 2.50, contact archived


@settings(derandomize=True, max_examples=60)
@given(data=st.data())
def test_events_twice_out_of_order_in_any_batches_change_nothing_twice(
    data: st.DataObject,
) -> None:
    SCENE.reset(*BEFORE)
    extra = data.draw(st.lists(st.sampled_from(SCENE.events), max_size=8))
    delivered = data.draw(st.permutations(SCENE.events + extra))
    cuts = sorted(data.draw(st.sets(st.integers(1, max(len(delivered) - 1, 1)), max_size=4)))
    batches = [delivered[a:b] for a, b in zip([0, *cuts], [*cuts, len(delivered)], strict=True)]
    for batch in batches:
        if batch:
            assert not SCENE.watch.reflect_events(batch).failed_tenants
    assert SCENE.state() == ONCE_IN_ORDER


def sqs_record(body: str) -> dict[str, Any]:
    return {
        "messageId": str(uuid.uuid4()),
        "receiptHandle": "r",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1",
            "SenderId": "s",
            "ApproximateFirstReceiveTimestamp": "1",
            "MessageGroupId": SCENE.world.org.tenant_id,
        },
        "messageAttributes": {},
        "md5OfBody": "x",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:0:events.fifo",
        "awsRegion": "us-east-1",
    }


def test_hostile_messages_never_crash_the_batch_and_the_good_event_is_recorded() -> None:
    SCENE.reset(*BEFORE)
    good = SCENE.events[2]  # the voided invoice
    as_json = good.model_dump(mode="json", by_alias=True)
    hostile = [
        "{not json",
        json.dumps({**as_json, "eventCategory": "PAYROLL"}),  # an unknown category
        json.dumps({**as_json, "tenantId": str(uuid.uuid4())}),  # a tenant not connected
        json.dumps({**as_json, "resourceId": "../../Invoices/x"}),  # not an id
        json.dumps({**as_json, "tenantId": "../../tokens"}),
        json.dumps([1, 2, 3]),
        "[" * 5000,
        json.dumps({**as_json, "resourceId": "x" * 101}),
    ]
    records = [sqs_record(body) for body in hostile] + [
        sqs_record(good.model_dump_json(by_alias=True))
    ]
    records.append({"messageId": "broken"})  # not an SQS record at all
    answer = door.handle({"Records": records}, context(), watch=SCENE.watch)
    assert answer["batchItemFailures"] == [{"itemIdentifier": "broken"}]
    side = SCENE.world.task(SCENE.orders[1]).xero_side
    assert side is not None and side.state is XeroState.VOIDED
    assert [
        t.xero_side for k, t in SCENE.tasks.tasks.items() if t.order_id != SCENE.orders[1]["id"]
    ] == [
        None,
        None,
    ]


def test_an_organisation_that_fails_has_only_its_messages_delivered_again() -> None:
    SCENE.reset(*BEFORE)
    good = SCENE.events[2]

    class Failing(XeroSideWatch):
        def _reflect_events(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("Xero is down")

    failing = copy.copy(SCENE.watch)
    failing.__class__ = Failing
    records = [sqs_record(good.model_dump_json(by_alias=True))]
    answer = door.handle({"Records": records}, context(), watch=failing)
    assert answer["batchItemFailures"] == [{"itemIdentifier": records[0]["messageId"]}]
    assert SCENE.world.task(SCENE.orders[1]).xero_side is None


def test_the_scheduled_poll_is_told_apart_from_a_batch() -> None:
    SCENE.reset(*BEFORE)
    SCENE.world.clock.advance(minutes=1)
    summary = door.poll(context(), watch=SCENE.watch)
    assert summary["tasks_changed"] == 3 and summary["links_changed"] == 1
    assert SCENE.state() == ONCE_IN_ORDER  # the same as the events said, entries included


def test_a_lost_race_is_read_again_and_loses_no_update() -> None:
    SCENE.reset(*BEFORE)
    order = SCENE.orders[1]
    key = (SCENE.world.reseller_id, str(order["id"]))
    real_replace = SCENE.tasks.replace
    raced: list[bool] = []

    def racing(task: Any, *, previous: Any) -> bool:
        if not raced:  # another writer changes the task first (a note, say)
            raced.append(True)
            stored = SCENE.tasks.tasks[key]
            SCENE.tasks.tasks[key] = stored.model_copy(
                update={"note": "changed meanwhile", "updated_at": stored.updated_at + timedelta(1)}
            )
        return real_replace(task, previous=previous)

    SCENE.tasks.replace = racing  # type: ignore[method-assign]
    try:
        outcome = SCENE.watch.reflect_events([SCENE.events[2]])
    finally:
        del SCENE.tasks.replace
    task = SCENE.tasks.tasks[key]
    assert raced and outcome.tasks_changed == 1 and not outcome.failed_tenants
    assert task.note == "changed meanwhile"  # the other writer's change is kept
    assert task.xero_side is not None and task.xero_side.state is XeroState.VOIDED


def test_a_task_being_synced_has_its_event_delivered_again_later() -> None:
    SCENE.reset(*BEFORE)
    key = (SCENE.world.reseller_id, str(SCENE.orders[1]["id"]))
    synced = SCENE.tasks.tasks[key]
    SCENE.tasks.tasks[key] = synced.model_copy(update={"status": TaskStatus.PROCESSING})
    outcome = SCENE.watch.reflect_events([SCENE.events[2]])
    assert outcome.busy == 1 and SCENE.world.org.tenant_id in outcome.failed_tenants
    assert SCENE.tasks.tasks[key].xero_side is None and not SCENE.log.entries
    SCENE.tasks.tasks[key] = synced  # its worker finished
    again = SCENE.watch.reflect_events([SCENE.events[2]])
    assert again.tasks_changed == 1 and not again.failed_tenants


def test_a_task_being_synced_holds_back_only_its_own_change() -> None:
    # Found by the attack of 2026-11-27: one task in processing (its worker died, auto-sync
    # off: it stays so until someone syncs) made the whole organisation's batch, and each
    # poll, record nothing: every other invoice's payment or void, and archived contacts.
    SCENE.reset(*BEFORE)
    busy, other = sorted(
        (SCENE.world.invoice_for(SCENE.orders[n])["InvoiceID"], n) for n in (1, 2)
    )  # the busy one is read first
    key = (SCENE.world.reseller_id, str(SCENE.orders[busy[1]]["id"]))
    SCENE.tasks.tasks[key] = SCENE.tasks.tasks[key].model_copy(
        update={"status": TaskStatus.PROCESSING}
    )
    outcome = SCENE.watch.reflect_events([SCENE.events[2], SCENE.events[3], SCENE.events[4]])
    assert outcome.busy == 1 and SCENE.world.org.tenant_id in outcome.failed_tenants
    assert SCENE.tasks.tasks[key].xero_side is None  # delivered again later
    assert SCENE.world.task(SCENE.orders[other[1]]).xero_side is not None
    assert [v.xero_contact_archived for v in SCENE.links.links.values()] == [True]
