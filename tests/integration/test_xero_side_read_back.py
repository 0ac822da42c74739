"""Xero's side read back, through the real Xero client against the emulator and DynamoDB Local:
paid, part paid, voided and deleted show on their tasks within one event or one poll; archived
and merged contacts on their links; an event twice or out of order changes nothing twice; a
poll finds what a dropped webhook missed; another organisation's events touch nothing here."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from cbxero.adapters.dynamo import (
    DynamoOrganisationDirectory,
    DynamoOrganisationRecord,
    DynamoPollCursors,
)
from cbxero.domain.connection import ConnectionStatus, XeroConnection, XeroTenant
from cbxero.domain.model import TaskStatus, XeroState
from cbxero.domain.xero_events import EventCategory, XeroEvent
from cbxero.keys import Table
from cbxero.services.xero_side import XeroSideWatch
from local.world import SyncWorld, dynamo_repositories
from local.xero_emulator import XeroEmulator
from local.xero_emulator.replies import ms_time
from tests.conftest import LocalTables
from tests.fakes import FakeConnections


@dataclass
class ReadBack:
    world: SyncWorld
    watch: XeroSideWatch
    cursors: DynamoPollCursors
    connections: FakeConnections

    @property
    def tenant(self) -> str:
        return self.world.org.tenant_id

    def event(
        self, category: EventCategory, resource_id: str, tenant: str | None = None
    ) -> XeroEvent:
        self.world.clock.advance(seconds=1)
        return XeroEvent(
            resource_url=f"https://api.xero.com/api.xro/2.0/Invoices/{resource_id}",
            resource_id=resource_id,
            event_date_utc=self.world.clock.now(),
            event_type="UPDATE",
            event_category=category,
            tenant_id=tenant or self.tenant,
            tenant_type="ORGANISATION",
        )

    def change(self, document: dict[str, Any], **fields: Any) -> None:
        """What a Xero user does by hand (no webhook delivered: the emulator's state only)."""
        self.world.clock.advance(seconds=2)
        document.update(fields, UpdatedDateUTC=ms_time(self.world.clock.now()))

    def entries(self) -> list[tuple[str, str]]:
        log = self.world.repos.action_log.for_reseller(self.world.reseller_id, limit=500)
        return sorted((e.entry_id, e.message) for e in log if e.action == "xero_change")


def read_back(tables: LocalTables, xero: XeroEmulator | None = None) -> ReadBack:
    repos = dynamo_repositories(tables.client, tables.names)
    world = SyncWorld(repos, xero=xero or XeroEmulator())
    world.configure(new_invoice_status="AUTHORISED")
    mappings = tables.names[Table.MAPPINGS]
    tenant = XeroTenant(tenant_id=world.org.tenant_id, name=world.org.name)
    DynamoOrganisationRecord(tables.client, mappings).bind(world.reseller_id, tenant)
    connections = FakeConnections()
    connections.stored[world.reseller_id] = XeroConnection(
        reseller_id=world.reseller_id,
        status=ConnectionStatus.CONNECTED,
        tenant=tenant,
        connected_since=world.clock.now() - timedelta(hours=1),
    )
    cursors = DynamoPollCursors(tables.client, mappings)
    watch = XeroSideWatch(
        directory=DynamoOrganisationDirectory(tables.client, mappings),
        connections=connections,
        settings=repos.settings,
        tasks=repos.tasks,
        links=repos.links,
        action_log=repos.action_log,
        cursors=cursors,
        xero=lambda _reseller: world.client(),
        clock=world.clock,
    )
    return ReadBack(world, watch, cursors, connections)


def four_synced_orders(rb: ReadBack) -> tuple[str, list[dict[str, Any]]]:
    w = rb.world
    customer = w.customer("Paying Ltd", linked=True)
    w.product("MPN-1", "Office 365", "10.00")
    orders = [w.order(customer, [("MPN-1", n + 1, "10.00")]) for n in range(4)]
    w.sync(customer)
    assert all(w.task(o).status is TaskStatus.SYNCED for o in orders)
    return customer, orders


@pytest.mark.parametrize("path", ["event", "poll"])
def test_pay_part_pay_void_delete_each_show_on_the_task_within_one_event_or_poll(
    local_tables: LocalTables, path: str
) -> None:
    rb = read_back(local_tables)
    _, orders = four_synced_orders(rb)
    w = rb.world
    first, second, third, fourth = (w.invoice_for(o) for o in orders)
    rb.watch.poll(w.reseller_id, rb.tenant)  # the poll's cursor starts; nothing changed yet

    def seen(document: dict[str, Any]) -> None:
        if path == "event":
            rb.watch.reflect_events([rb.event(EventCategory.INVOICE, document["InvoiceID"])])
        else:
            rb.watch.poll(w.reseller_id, rb.tenant)

    rb.change(first, AmountPaid=4.0, AmountDue=6.0)
    seen(first)
    side = w.task(orders[0]).xero_side
    assert side is not None and side.state is XeroState.PART_PAID
    assert (side.amount_paid, side.amount_due) == (Decimal("4.00"), Decimal("6.00"))
    rb.change(first, AmountPaid=10.0, AmountDue=0.0, Status="PAID")
    seen(first)
    rb.change(second, Status="VOIDED")
    seen(second)
    rb.change(third, Status="DELETED")
    seen(third)
    states = [(t.status, t.xero_side and t.xero_side.state) for t in map(w.task, orders)]
    assert states == [
        (TaskStatus.SYNCED, XeroState.PAID),
        (TaskStatus.SYNCED, XeroState.VOIDED),  # still synced: drift, for the reseller
        (TaskStatus.SYNCED, XeroState.DELETED),
        (TaskStatus.SYNCED, XeroState.AWAITING_PAYMENT),  # first seen by the first poll
    ]
    assert fourth["Status"] == "AUTHORISED"
    messages = [m for _, m in rb.entries()]
    assert len(messages) == 4
    assert sum("part paid in Xero: 4.00 paid, 6.00 still due" in m for m in messages) == 1
    assert sum(" paid in Xero (10.00)" in m for m in messages) == 1
    assert sum("was voided in Xero" in m for m in messages) == 1
    assert sum("was deleted in Xero" in m for m in messages) == 1


def test_an_archived_or_merged_contact_shows_on_its_link(local_tables: LocalTables) -> None:
    rb = read_back(local_tables)
    w = rb.world
    one, two = w.customer("Archived Ltd", linked=True), w.customer("Merged Ltd", linked=True)
    survivor = w.customer("Survivor Ltd", linked=True)
    link_one, link_two, link_survivor = (
        w.repos.links.get(w.reseller_id, c) for c in (one, two, survivor)
    )
    assert link_one and link_two and link_survivor
    assert link_one.xero_contact_id and link_two.xero_contact_id
    rb.change(w.org.contacts[link_one.xero_contact_id], ContactStatus="ARCHIVED")
    rb.change(
        w.org.contacts[link_two.xero_contact_id],
        ContactStatus="ARCHIVED",
        MergedToContactID=link_survivor.xero_contact_id,
    )
    outcome = rb.watch.reflect_events(
        [
            rb.event(EventCategory.CONTACT, link_one.xero_contact_id),
            rb.event(EventCategory.CONTACT, link_two.xero_contact_id),
            rb.event(EventCategory.CONTACT, str(uuid.uuid4())),  # not a contact of ours
        ]
    )
    archived, merged = w.repos.links.get(w.reseller_id, one), w.repos.links.get(w.reseller_id, two)
    assert archived and archived.xero_contact_archived and not archived.xero_contact_merged_into
    assert merged and merged.xero_contact_merged_into == link_survivor.xero_contact_id
    assert merged.auto_sync  # the rest of the link is as it was
    assert (outcome.links_changed, outcome.entries, outcome.ignored) == (2, 2, 1)


def test_a_poll_finds_what_a_dropped_webhook_missed_and_moves_its_cursor(
    local_tables: LocalTables,
) -> None:
    rb = read_back(local_tables)
    _, orders = four_synced_orders(rb)
    w = rb.world
    first = rb.watch.poll(w.reseller_id, rb.tenant)
    cursor = rb.cursors.get(w.reseller_id, rb.tenant)
    assert first.rows >= 4 and cursor is not None
    invoice = w.invoice_for(orders[2])
    rb.change(invoice, Status="VOIDED")  # Xero's webhook for it was never delivered
    w.clock.advance(minutes=15)
    found = rb.watch.poll(w.reseller_id, rb.tenant)
    side = w.task(orders[2]).xero_side
    assert side is not None and side.state is XeroState.VOIDED
    assert found.tasks_changed == 1 and found.entries == 1
    moved = rb.cursors.get(w.reseller_id, rb.tenant)
    assert moved is not None and moved > cursor
    # Conditional: a poll that read an older cursor cannot move it back, nor one absent.
    assert not rb.cursors.advance(w.reseller_id, rb.tenant, cursor, cursor)
    assert not rb.cursors.advance(w.reseller_id, rb.tenant, cursor, None)
    assert rb.cursors.get(w.reseller_id, rb.tenant) == moved
    again = rb.watch.poll(w.reseller_id, rb.tenant)  # the overlap re-reads: nothing twice
    assert (again.tasks_changed, again.entries) == (0, 0)


def test_a_row_stamped_in_the_future_never_moves_the_cursor_past_now(
    local_tables: LocalTables,
) -> None:
    rb = read_back(local_tables)
    _, orders = four_synced_orders(rb)
    w = rb.world
    rb.watch.poll(w.reseller_id, rb.tenant)
    w.invoice_for(orders[0])["UpdatedDateUTC"] = ms_time(w.clock.now() + timedelta(days=3))
    w.clock.advance(minutes=15)
    rb.watch.poll(w.reseller_id, rb.tenant)
    cursor = rb.cursors.get(w.reseller_id, rb.tenant)
    assert cursor is not None and cursor <= w.clock.now()
    rb.change(w.invoice_for(orders[1]), Status="VOIDED")  # changed after: still found
    w.clock.advance(minutes=15)
    rb.watch.poll(w.reseller_id, rb.tenant)
    side = w.task(orders[1]).xero_side
    assert side is not None and side.state is XeroState.VOIDED


def test_a_first_poll_starts_from_the_connection_not_the_epoch(local_tables: LocalTables) -> None:
    rb = read_back(local_tables)
    w = rb.world
    customer = w.customer("Old Ltd", linked=True)
    contact = next(iter(w.org.contacts.values()))
    contact["UpdatedDateUTC"] = ms_time(w.clock.now() - timedelta(days=30))
    outcome = rb.watch.poll(w.reseller_id, rb.tenant)
    assert outcome.rows == 0, customer  # changed before the connection: not read


def test_another_organisations_events_never_touch_this_resellers_tasks(
    local_tables: LocalTables,
) -> None:
    rb = read_back(local_tables, XeroEmulator(organisations=["Ours Ltd", "Theirs Ltd"]))
    _, orders = four_synced_orders(rb)
    w = rb.world
    theirs = w.xero.organisation("Theirs Ltd")
    invoice = w.invoice_for(orders[0])
    rb.change(invoice, Status="VOIDED")
    # Their organisation names our invoice's id: not connected here, so nothing is read.
    outcome = rb.watch.reflect_events(
        [rb.event(EventCategory.INVOICE, invoice["InvoiceID"], tenant=theirs.tenant_id)]
    )
    assert w.task(orders[0]).xero_side is None
    assert (outcome.tasks_changed, outcome.ignored) == (0, 1)
    # Connected to another organisation now: our organisation's events are not ours either.
    connection = rb.connections.stored[w.reseller_id]
    rb.connections.stored[w.reseller_id] = connection.model_copy(
        update={"tenant": XeroTenant(tenant_id=theirs.tenant_id, name=theirs.name)}
    )
    outcome = rb.watch.reflect_events([rb.event(EventCategory.INVOICE, invoice["InvoiceID"])])
    assert w.task(orders[0]).xero_side is None and outcome.ignored == 1


def test_a_voided_invoice_is_never_made_again_by_a_retry(local_tables: LocalTables) -> None:
    """Issue 11: reconcile looked up live invoices only, so a task retried after its answer was
    lost (sent, no document recorded) made the order's voided invoice again."""
    rb = read_back(local_tables)
    _, orders = four_synced_orders(rb)
    w = rb.world
    invoice = w.invoice_for(orders[0])
    rb.change(invoice, Status="VOIDED")
    task = w.task(orders[0])
    lost = task.model_copy(
        update={
            "status": TaskStatus.FAILED,
            "document": None,
            "sent": True,
            "retry_at": w.clock.now(),
        }
    )
    assert w.repos.tasks.replace(lost, previous=task)
    w.clock.advance(minutes=5)
    w.sync(task.customer_id)
    same_order = [
        i for i in w.org.invoices.values() if orders[0]["orderNumber"] in i.get("Reference", "")
    ]
    assert len(same_order) == 1, "the voided invoice was made again"
    done = w.task(orders[0])
    assert done.status is TaskStatus.SYNCED
    assert done.xero_side is not None and done.xero_side.state is XeroState.VOIDED
    assert done.document is not None and done.document.id == invoice["InvoiceID"]
    # The reseller's word (the drift report's re-sync) makes it again, once.
    again = done.model_copy(
        update={"status": TaskStatus.FAILED, "remake_confirmed": True, "retry_at": w.clock.now()}
    )
    assert w.repos.tasks.replace(again, previous=done)
    w.clock.advance(minutes=5)
    w.sync(task.customer_id)
    live = [
        i
        for i in w.org.invoices.values()
        if orders[0]["orderNumber"] in i.get("Reference", "") and i["Status"] != "VOIDED"
    ]
    assert len(live) == 1
    remade = w.task(orders[0])
    assert remade.status is TaskStatus.SYNCED and remade.document is not None
    assert remade.document.id == live[0]["InvoiceID"]
    assert remade.xero_side is None and not remade.remake_confirmed  # the word is used once


def test_an_unreadable_event_body_is_dropped_by_the_door() -> None:
    from cbxero.adapters.event_records import EventRecord

    record = {
        "messageId": "m-1",
        "receiptHandle": "r",
        "body": json.dumps({"resourceId": "../../etc", "eventCategory": "PAYROLL"}),
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1",
            "SenderId": "s",
            "ApproximateFirstReceiveTimestamp": "1",
        },
        "messageAttributes": {},
        "md5OfBody": "x",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:0:q.fifo",
        "awsRegion": "us-east-1",
    }
    parsed = EventRecord.model_validate(record)
    assert not isinstance(parsed.body, XeroEvent)


def test_an_organisation_finds_its_resellers_and_a_rebind_moves_one(
    local_tables: LocalTables,
) -> None:
    mappings = local_tables.names[Table.MAPPINGS]
    record = DynamoOrganisationRecord(local_tables.client, mappings)
    directory = DynamoOrganisationDirectory(local_tables.client, mappings)
    ours, theirs = XeroTenant(tenant_id="t-1", name="A"), XeroTenant(tenant_id="t-2", name="B")
    record.bind("reseller-1", ours)
    record.bind("reseller-2", ours)
    record.bind("reseller-3", theirs)
    assert directory.resellers_of("t-1") == ["reseller-1", "reseller-2"]
    record.bind("reseller-2", theirs)  # reconnected to the other organisation
    assert directory.resellers_of("t-1") == ["reseller-1"]
    assert directory.resellers_of("t-") == []  # a prefix of an id is no id
    assert sorted(directory.organisations()) == [
        ("reseller-1", "t-1"),
        ("reseller-2", "t-2"),
        ("reseller-3", "t-2"),
    ]
