"""Xero's side, read back: what changed in Xero (a webhook event, or a poll) shows on the tasks
and the customer links, and in the Action Log.

Events name a resource and nothing of its state, so the resources are read from Xero (batched,
through the governor) and their current state is recorded. A reading older than the one
recorded is ignored, and Action Log entries have ids derived from the change Xero reports, so
that an event delivered twice, out of order, or also found by a poll changes nothing twice.
Only documents the product made (a task holds them) and contacts it links to are looked at.

The polling fallback reads, per organisation, what Xero changed since a stored cursor
(If-Modified-Since) and records it the same way, straight away: the poll has the current state
in hand, so queueing it as events would only read every row from Xero a second time. Each
changed row counts as an UPDATE event at its UpdatedDateUTC (`seen_as_event`), whose key names
its Action Log entry, as a webhook's would. The cursor advances to the newest change seen only
once all of it is recorded, and each poll reads a little before it again (changes Xero stamps
late); a poll that fails leaves it, and the next one reads the rows again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cbxero.domain.connection import ConnectionStatus
from cbxero.domain.model import ActionLogEntry, CustomerLink, SyncTask, TaskStatus, XeroSide
from cbxero.domain.settings import NotificationLevel
from cbxero.domain.xero import Contact, CreditNote, Invoice
from cbxero.domain.xero_events import EventCategory, XeroEvent
from cbxero.domain.xero_side import (
    Notice,
    entry_id,
    link_notice,
    link_seeing,
    newer_side,
    seen_as_event,
    side_notice,
    side_of_credit_note,
    side_of_invoice,
)
from cbxero.ports import (
    ActionLog,
    Clock,
    ConnectionRepository,
    CustomerLinkRepository,
    OrganisationDirectory,
    PollCursors,
    SettingsRepository,
    TaskRepository,
    XeroAccounting,
)

ACTION = "xero_change"
ACTOR = "xero"
# A poll reads again a little before its cursor: a change Xero stamps late is not missed.
POLL_OVERLAP = timedelta(minutes=5)
# A conditional write lost to another writer is tried again on a fresh read, this often.
ATTEMPTS = 3


@dataclass
class Reflected:
    """What a batch of events or a poll did (counts, for the logs and the tests)."""

    tasks_changed: int = 0
    links_changed: int = 0
    entries: int = 0
    ignored: int = 0  # events of no connected organisation, or of nothing the product made
    busy: int = 0  # organisations with a task still being synced: tried again later
    rows: int = 0  # rows a poll read
    failed_tenants: dict[str, str] = field(default_factory=dict)

    def add(self, other: Reflected) -> None:
        self.tasks_changed += other.tasks_changed
        self.links_changed += other.links_changed
        self.entries += other.entries
        self.ignored += other.ignored
        self.busy += other.busy
        self.rows += other.rows
        self.failed_tenants.update(other.failed_tenants)


class Busy(Exception):
    """A task is being synced right now: its event is tried again later."""


class XeroSideWatch:
    """Records Xero's side of the documents and contacts the product made or links to."""

    def __init__(
        self,
        *,
        directory: OrganisationDirectory,
        connections: ConnectionRepository,
        settings: SettingsRepository,
        tasks: TaskRepository,
        links: CustomerLinkRepository,
        action_log: ActionLog,
        cursors: PollCursors,
        xero: Callable[[str], XeroAccounting],
        clock: Clock,
    ) -> None:
        self._directory = directory
        self._connections = connections
        self._settings = settings
        self._tasks = tasks
        self._links = links
        self._log = action_log
        self._cursors = cursors
        self._xero = xero
        self._clock = clock

    # ------------------------------------------------------------------ events
    def reflect_events(self, events: Sequence[XeroEvent]) -> Reflected:
        """Every event's resource read from Xero (batched per organisation) and recorded. An
        organisation whose events could not all be recorded (a task being synced, Xero's limit,
        an outage) is named in `failed_tenants`: its events are to be delivered again, which
        changes nothing twice."""
        outcome = Reflected()
        by_tenant: dict[str, list[XeroEvent]] = defaultdict(list)
        for event in events:
            if event.names_xero_ids:
                by_tenant[event.tenant_id].append(event)
            else:
                outcome.ignored += 1
        for tenant_id, tenant_events in by_tenant.items():
            try:
                resellers = [
                    r for r in self._directory.resellers_of(tenant_id) if self._on(r, tenant_id)
                ]
                if not resellers:
                    outcome.ignored += len(tenant_events)
                for reseller_id in resellers:
                    outcome.add(self._reflect_events(reseller_id, tenant_id, tenant_events))
            except Exception as failure:  # one organisation's trouble stays its own
                outcome.busy += isinstance(failure, Busy)
                outcome.failed_tenants[tenant_id] = f"{type(failure).__name__}: {failure}"[:300]
        return outcome

    def _on(self, reseller_id: str, tenant_id: str) -> bool:
        """Whether the reseller is connected to that organisation now."""
        connection = self._connections.get(reseller_id)
        return (
            connection is not None
            and connection.status is ConnectionStatus.CONNECTED
            and connection.tenant is not None
            and connection.tenant.tenant_id == tenant_id
        )

    def _reflect_events(
        self, reseller_id: str, tenant_id: str, events: list[XeroEvent]
    ) -> Reflected:
        ids: dict[EventCategory, set[str]] = defaultdict(set)
        for event in events:
            ids[event.event_category].add(event.resource_id)
        tasks = {
            doc: found
            for doc in ids[EventCategory.INVOICE] | ids[EventCategory.CREDIT_NOTE]
            if (found := self._tasks.for_document(reseller_id, doc))
        }
        linked = {
            contact: customers
            for contact in ids[EventCategory.CONTACT]
            if (customers := self._links.customers_linked_to(reseller_id, contact))
        }
        outcome = Reflected()
        outcome.ignored = sum(
            1 for e in events if e.resource_id not in tasks and e.resource_id not in linked
        )
        if not tasks and not linked:
            return outcome
        xero = self._xero(reseller_id)
        wanted_invoices = sorted(ids[EventCategory.INVOICE] & set(tasks))
        wanted_notes = sorted(ids[EventCategory.CREDIT_NOTE] & set(tasks))
        invoices = xero.invoices(wanted_invoices) if wanted_invoices else []
        notes = xero.credit_notes(wanted_notes) if wanted_notes else []
        contacts = xero.contacts_by_id(sorted(linked)) if linked else []
        outcome.add(self._record(reseller_id, tenant_id, invoices, notes, contacts, tasks, linked))
        return outcome

    # ------------------------------------------------------------------ recording
    def _record(
        self,
        reseller_id: str,
        tenant_id: str,
        invoices: Iterable[Invoice],
        notes: Iterable[CreditNote],
        contacts: Iterable[Contact],
        tasks: dict[str, list[SyncTask]],
        linked: dict[str, list[str]],
    ) -> Reflected:
        outcome = Reflected()
        now = self._clock.now()
        level = self._settings.get(reseller_id).notifications
        documents: list[tuple[str, EventCategory, XeroSide, str]] = []
        for invoice in invoices:
            if invoice.invoice_id in tasks:
                what = f"invoice {invoice.invoice_number or invoice.invoice_id}"
                side = side_of_invoice(invoice, now)
                documents.append((invoice.invoice_id, EventCategory.INVOICE, side, what))
        for note in notes:
            if note.credit_note_id in tasks:
                what = f"credit note {note.credit_note_number or note.credit_note_id}"
                side = side_of_credit_note(note, now)
                documents.append((note.credit_note_id, EventCategory.CREDIT_NOTE, side, what))
        held: list[Busy] = []  # a task being synced holds back its own change, not the rest
        for doc_id, category, side, what in documents:
            change = seen_as_event(tenant_id, category, doc_id, side.seen_at)
            for task in tasks[doc_id]:
                try:
                    self._record_task(task, side, change, what, level, outcome)
                except Busy as busy:
                    held.append(busy)
        for contact in contacts:
            if contact.contact_id is None or contact.contact_id not in linked:
                continue
            for customer_id in linked[contact.contact_id]:
                try:
                    self._record_link(
                        tenant_id, reseller_id, customer_id, contact, now, level, outcome
                    )
                except Busy as busy:
                    held.append(busy)
        if held:  # the rest is recorded; delivered (or polled) again, it changes nothing twice
            raise held[0]
        return outcome

    def _record_task(
        self,
        task: SyncTask,
        side: XeroSide,
        change: XeroEvent,
        what: str,
        level: NotificationLevel,
        outcome: Reflected,
    ) -> None:
        current: SyncTask | None = task
        for _ in range(ATTEMPTS):
            if current is None:
                return
            new = newer_side(current.xero_side, side)
            if new is None:
                return
            if current.status is TaskStatus.PROCESSING:  # its worker writes it next: wait
                raise Busy(f"task {current.order_id} is being synced")
            notice = side_notice(current.xero_side, new, what)
            if notice is not None:  # first: a crash after it leaves the task to write again
                self._entry(current.reseller_id, change, current, new.state.value, notice, level)
                outcome.entries += 1
            stamp = max(self._clock.now(), current.updated_at + timedelta(milliseconds=1))
            changed = current.model_copy(update={"xero_side": new, "updated_at": stamp})
            if self._tasks.replace(changed, previous=current):
                outcome.tasks_changed += 1
                return
            current = self._tasks.get(current.reseller_id, current.order_id)
        raise Busy(f"task {task.order_id} kept changing while Xero's side was recorded")

    def _record_link(
        self,
        tenant_id: str,
        reseller_id: str,
        customer_id: str,
        contact: Contact,
        now: datetime,
        level: NotificationLevel,
        outcome: Reflected,
    ) -> None:
        for _ in range(ATTEMPTS):
            link = self._links.get(reseller_id, customer_id)
            if link is None or link.xero_contact_id != contact.contact_id:
                return
            seen = link_seeing(link, contact, now)
            if seen is None:
                return
            notice = link_notice(link, seen, contact.name or str(contact.contact_id))
            if notice is not None:
                change = seen_as_event(
                    tenant_id,
                    EventCategory.CONTACT,
                    str(contact.contact_id),
                    seen.xero_contact_seen_at or now,
                )
                state = f"{seen.xero_contact_archived}:{seen.xero_contact_merged_into}"
                self._entry(reseller_id, change, seen, state, notice, level)
                outcome.entries += 1
            if self._links.record_xero_contact(seen):
                outcome.links_changed += 1
                return
        raise Busy(f"customer {customer_id}'s link kept changing while its contact was recorded")

    def _entry(
        self,
        reseller_id: str,
        change: XeroEvent,
        subject: SyncTask | CustomerLink,
        state: str,
        notice: Notice,
        level: NotificationLevel,
    ) -> None:
        if level is NotificationLevel.ERRORS_AND_ACTIONS and not notice.status.is_problem:
            return
        task = subject if isinstance(subject, SyncTask) else None
        self._log.add(
            ActionLogEntry(
                reseller_id=reseller_id,
                entry_id=entry_id(change, task.order_id if task else subject.customer_id, state),
                at=change.event_date_utc,  # when Xero changed it: the same entry every time
                action=ACTION,
                status=notice.status,
                actor=ACTOR,
                message=notice.message,
                customer_id=subject.customer_id,
                order_id=task.order_id if task else None,
                xero_document_id=change.resource_id,
            )
        )

    # ------------------------------------------------------------------ polling
    def poll(self, reseller_id: str, tenant_id: str) -> Reflected:
        """What Xero changed in the organisation since the cursor, recorded; the cursor moved
        on to the newest change seen. Not connected to it: nothing read."""
        outcome = Reflected()
        connection = self._connections.get(reseller_id)
        if not self._on(reseller_id, tenant_id) or connection is None:
            return outcome
        stored = self._cursors.get(reseller_id, tenant_id)
        # A first poll starts at the connection: what changed before is not the product's.
        start = stored or connection.connected_since or self._clock.now()
        polled_at = self._clock.now()
        changes = self._xero(reseller_id).changed_since(start - POLL_OVERLAP)
        outcome.rows = len(changes.invoices) + len(changes.credit_notes) + len(changes.contacts)
        stamps = [
            *(i.updated_date_utc for i in changes.invoices),
            *(n.updated_date_utc for n in changes.credit_notes),
            *(c.updated_date_utc for c in changes.contacts),
        ]
        doc_ids = {
            i
            for i in [
                *(x.invoice_id for x in changes.invoices),
                *(n.credit_note_id for n in changes.credit_notes),
            ]
            if i
        }
        tasks = {
            d: found for d in sorted(doc_ids) if (found := self._tasks.for_document(reseller_id, d))
        }
        linked = {
            c.contact_id: customers
            for c in changes.contacts
            if c.contact_id
            and (customers := self._links.customers_linked_to(reseller_id, c.contact_id))
        }
        outcome.add(
            self._record(
                reseller_id,
                tenant_id,
                changes.invoices,
                changes.credit_notes,
                changes.contacts,
                tasks,
                linked,
            )
        )
        # Never past now: a row stamped in the future (a clock's slip) must not make the next
        # polls skip what changes meanwhile.
        newest = min(max((at for at in stamps if at is not None), default=start), polled_at)
        if newest > start:
            self._cursors.advance(reseller_id, tenant_id, newest, stored)
        return outcome

    def poll_all(self, time_left: Callable[[], bool]) -> Reflected:
        """Every organisation of record polled in turn while `time_left()`; one that fails
        (rate limit, outage, reconnect needed) is told in the outcome, the others go on."""
        outcome = Reflected()
        for reseller_id, tenant_id in self._directory.organisations():
            if not time_left():
                break
            try:
                outcome.add(self.poll(reseller_id, tenant_id))
            except Exception as failure:  # one organisation's trouble stays its own
                outcome.busy += isinstance(failure, Busy)
                outcome.failed_tenants[tenant_id] = type(failure).__name__
        return outcome
