"""The drift report and its repairs: read the marketplace's orders, the tasks and Xero's
documents, contacts and items for a period, hand them to `domain/drift.py`, and act on a
repair only when the reseller names it. Every repair is written to the Action Log with the
user as actor; a repair of a difference that no longer exists is refused (409), naming why."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict

from cbxero.domain.documents import mapping_key
from cbxero.domain.drift import Difference, DriftKind, DriftWorld, Repair, counts, find_drift
from cbxero.domain.drift import resynced as resynced_task
from cbxero.domain.errors import Conflict, InvalidInput, NotFound
from cbxero.domain.marketplace import MarketplaceOrder
from cbxero.domain.model import (
    ActionLogEntry,
    CustomerLink,
    LogStatus,
    ProductMapping,
    SyncTask,
    TaskStatus,
    XeroDocumentRef,
)
from cbxero.domain.settings import PriceSource
from cbxero.ports import (
    ActionLog,
    Clock,
    CustomerLinkRepository,
    DriftRecords,
    JobQueue,
    Marketplace,
    ProductMappingRepository,
    SettingsRepository,
    SyncJob,
    TaskRepository,
    XeroAccounting,
)
from cbxero.services.mapping import MappingDesk

_ABOUT_CUSTOMERS = frozenset({DriftKind.CONTACT_ARCHIVED, DriftKind.CONTACT_MERGED})
LONGEST_PERIOD = timedelta(days=366)
MOST_ORDERS = 2000  # one report reads every order's task: a longer list asks for a shorter period


class DriftReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: AwareDatetime
    end: AwareDatetime
    checked_at: AwareDatetime
    orders: int
    tasks: int
    documents: int
    ignored: int
    counts: dict[str, int]
    differences: list[Difference]


class RepairRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: datetime
    end: datetime
    key: str
    action: Repair
    contact_id: str | None = None
    item_code: str | None = None
    reason: str | None = None


class RepairDone(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    action: Repair
    message: str
    task: SyncTask | None = None


def checked_period(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """A report's period: both ends given, from no later than to, at most a year and a day."""
    if start is None:
        raise InvalidInput("give the period's start", field="from")
    if end is None:
        raise InvalidInput("give the period's end", field="to")
    if start > end:
        raise InvalidInput("from is later than to", field="from")
    if end - start > LONGEST_PERIOD:
        raise InvalidInput(f"a period of at most {LONGEST_PERIOD.days} days", field="to")
    return start, end


class DriftDesk:
    def __init__(
        self,
        *,
        settings: SettingsRepository,
        links: CustomerLinkRepository,
        mappings: ProductMappingRepository,
        tasks: TaskRepository,
        marketplace: Marketplace,
        xero: Callable[[str], XeroAccounting],
        records: DriftRecords,
        mapping_desk: MappingDesk,
        action_log: ActionLog,
        queue: JobQueue,
        clock: Clock,
    ) -> None:
        self._settings = settings
        self._links = links
        self._mappings = mappings
        self._tasks = tasks
        self._marketplace = marketplace
        self._xero = xero
        self._records = records
        self._mapping_desk = mapping_desk
        self._log = action_log
        self._queue = queue
        self._clock = clock

    # ------------------------------------------------------------------ the report
    def report(self, reseller_id: str, start: datetime, end: datetime) -> DriftReport:
        world = self._world(reseller_id, *checked_period(start, end))
        ignored = self._records.ignored(reseller_id)
        everything = find_drift(world)
        shown = [d for d in everything if d.key not in ignored]
        return DriftReport(
            start=start,
            end=end,
            checked_at=self._clock.now(),
            orders=len(world.orders),
            tasks=len(world.tasks),
            documents=len(world.invoices) + len(world.credit_notes),
            ignored=len(everything) - len(shown),
            counts=counts(shown),
            differences=shown,
        )

    def scheduled(self, reseller_id: str, days: int = 31) -> DriftReport:
        """The daily run: the last `days` days, its counts kept for the dashboard, and one
        Action Log entry when drift was found."""
        now = self._clock.now()
        report = self.report(reseller_id, now - timedelta(days=days), now)
        self._records.save_counts(reseller_id, report.counts, now)
        if report.differences:
            found = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in report.counts.items())
            self._log.add(
                ActionLogEntry(
                    reseller_id=reseller_id,
                    at=now,
                    action="drift_found",
                    status=LogStatus.ACTION_REQUIRED,
                    message=f"The books disagree with Xero: {found}. Open the reconcile report "
                    "to repair.",
                )
            )
        return report

    def _world(self, reseller_id: str, start: datetime, end: datetime) -> DriftWorld:
        orders = self._orders(reseller_id, start, end)
        return self._gathered(
            reseller_id,
            orders,
            [link for link in self._links.for_reseller(reseller_id) if link.xero_contact_id],
            self._mappings.for_reseller(reseller_id),
            every_item=True,
        )

    def _gathered(
        self,
        reseller_id: str,
        orders: list[MarketplaceOrder],
        links: list[CustomerLink],
        mappings: list[ProductMapping],
        *,
        every_item: bool,
    ) -> DriftWorld:
        """The three sides for these orders, links and mappings: batched look-ups, each made
        only when there is something to look up."""
        settings = self._settings.get(reseller_id)
        tasks = [t for o in orders if (t := self._tasks.get(reseller_id, o.id)) is not None]
        xero = self._xero(reseller_id)
        numbers = [o.order_number for o in orders]
        invoice_ids = [t.document.id for t in tasks if t.document]
        note_ids = [t.credit_note.id for t in tasks if t.credit_note]
        invoices = {
            i.invoice_id: i
            for i in [
                *(xero.invoices_by_reference(numbers) if numbers else []),
                *(xero.invoices(invoice_ids) if invoice_ids else []),
            ]
        }
        notes = {
            n.credit_note_id: n
            for n in [
                *(xero.credit_notes_by_reference(numbers) if numbers else []),
                *(xero.credit_notes(note_ids) if note_ids else []),
            ]
        }
        contact_ids = sorted({link.xero_contact_id for link in links if link.xero_contact_id})
        contacts = xero.contacts_by_id(contact_ids) if contact_ids else []
        read_items = every_item or settings.price_source is PriceSource.XERO
        items = {item.code: item for item in xero.all_items()} if mappings and read_items else {}
        return DriftWorld(
            settings=settings,
            orders=orders,
            tasks=tasks,
            invoices=list(invoices.values()),
            credit_notes=list(notes.values()),
            links=links,
            contacts={c.contact_id: c for c in contacts if c.contact_id},
            mappings=mappings,
            items=items,
        )

    def _world_of(self, reseller_id: str, key: str, start: datetime, end: datetime) -> DriftWorld:
        """Only what one difference concerns (by its key), so that a repair checks it is still
        there with a few calls, not a whole report's."""
        kind, _, rest = key.partition(":")
        first = rest.split(":")[0]
        if kind in _ABOUT_CUSTOMERS:
            link = self._links.get(reseller_id, first)
            return self._gathered(reseller_id, [], [link] if link else [], [], every_item=False)
        if kind == DriftKind.ITEM_DELETED:
            mapped = list(self._mappings.get_many(reseller_id, [first]).values())
            return self._gathered(reseller_id, [], [], mapped, every_item=True)
        try:
            order = self._marketplace.order(first)
            self._marketplace.customer(reseller_id, order.customer_id)
        except NotFound:
            return self._gathered(reseller_id, [], [], [], every_item=False)
        orders = [order] if start <= order.created_at <= end else []
        wanted = sorted({mapping_key(line) for line in order.lines})
        mappings = list(self._mappings.get_many(reseller_id, wanted).values())
        return self._gathered(reseller_id, orders, [], mappings, every_item=False)

    def _orders(self, reseller_id: str, start: datetime, end: datetime) -> list[MarketplaceOrder]:
        orders: list[MarketplaceOrder] = []
        for customer in self._marketplace.customers(reseller_id):
            orders.extend(
                o for o in self._marketplace.orders(customer.id, start) if o.created_at <= end
            )
            if len(orders) > MOST_ORDERS:
                raise InvalidInput(
                    f"more than {MOST_ORDERS} orders in the period: choose a shorter one",
                    field="from",
                )
        return orders

    # ------------------------------------------------------------------ repairs
    def repair(self, reseller_id: str, request: RepairRequest, actor: str) -> RepairDone:
        start, end = checked_period(request.start, request.end)
        world = self._world_of(reseller_id, request.key, start, end)
        current = {d.key: d for d in find_drift(world)}
        difference = current.get(request.key)
        if difference is None:
            raise Conflict(
                f"no difference {request.key} in this period now: it was repaired, or the books "
                "changed meanwhile; read the report again",
                field="key",
            )
        if request.key in self._records.ignored(reseller_id):
            raise Conflict(f"difference {request.key} was already acknowledged", field="key")
        if request.action not in difference.repairs:
            allowed = " or ".join(r.value for r in difference.repairs)
            raise InvalidInput(
                f"a {difference.kind.value} difference is repaired by {allowed}", field="action"
            )
        done = self._apply(reseller_id, difference, request, world, actor)
        self._log.add(
            ActionLogEntry(
                reseller_id=reseller_id,
                at=self._clock.now(),
                action=f"drift_{request.action.value}",
                status=LogStatus.INFO,
                actor=actor,
                message=done.message,
                customer_id=difference.customer_id,
                order_id=difference.order_id,
            )
        )
        return done

    def _apply(
        self,
        reseller_id: str,
        difference: Difference,
        request: RepairRequest,
        world: DriftWorld,
        actor: str,
    ) -> RepairDone:
        action = request.action
        what = difference.order_number or difference.customer_id or difference.mpn
        if action is Repair.IGNORE:
            if not request.reason:
                raise InvalidInput("say why the difference is acknowledged", field="reason")
            self._records.ignore(
                reseller_id, difference.key, request.reason, actor, self._clock.now()
            )
            return RepairDone(
                key=difference.key,
                action=action,
                message=f"Drift acknowledged ({difference.kind.value}, {what}): {request.reason}",
            )
        if action is Repair.REMAP:
            return self._remap(reseller_id, difference, request, actor)
        order = next(o for o in world.orders if o.id == difference.order_id)
        task = self._tasks.get(reseller_id, order.id)
        if action is Repair.CREATE_TASK:
            (created,) = self._tasks.add_many_if_absent(
                [SyncTask.from_order(reseller_id, order, self._clock.now())]
            )
            if not created:
                raise Conflict(f"order {order.order_number} has a task now", field="key")
            return RepairDone(
                key=difference.key,
                action=action,
                message=f"Order {order.order_number}: task created; it syncs as any new task",
                task=self._tasks.get(reseller_id, order.id),
            )
        if task is None:
            if action is not Repair.ADOPT:
                raise Conflict(f"order {order.order_number} has no task", field="key")
            self._tasks.add_many_if_absent(
                [SyncTask.from_order(reseller_id, order, self._clock.now())]
            )
            task = self._tasks.get(reseller_id, order.id)
            assert task is not None
        if action is Repair.ADOPT:
            return self._adopt(task, difference, world)
        # RESYNC or REMAKE: the task back to new, its old document forgotten, and queued
        verb = "re-made" if action is Repair.REMAKE else "synced again"
        again = resynced_task(task, self._clock.now(), f"to be {verb} on {actor}'s word")
        self._store(again, task)
        self._queue.send(
            [
                SyncJob(
                    reseller_id=reseller_id,
                    customer_id=task.customer_id,
                    slot=f"drift:{self._clock.now().isoformat()}",
                    actor=actor,
                    check=False,
                    task_ids=(task.task_id,),
                )
            ]
        )
        return RepairDone(
            key=difference.key,
            action=action,
            message=f"Order {task.order_number}: back to new, to be {verb}",
            task=again,
        )

    def _adopt(self, task: SyncTask, difference: Difference, world: DriftWorld) -> RepairDone:
        (doc_id,) = difference.document_ids
        invoice = next((i for i in world.invoices if i.invoice_id == doc_id), None)
        note = next((n for n in world.credit_notes if n.credit_note_id == doc_id), None)
        now = self._clock.now()
        update: dict[str, object] = {
            "status": TaskStatus.SYNCED,
            "reason": None,
            "retry_at": None,
            "updated_at": now,
            "sent": True,
            "note": f"adopted the Xero document {doc_id} found by its reference",
        }
        if invoice is not None:
            update["document"] = XeroDocumentRef(
                kind="invoice", id=doc_id, number=invoice.invoice_number, total=invoice.total
            )
        elif note is not None:
            update["credit_note"] = XeroDocumentRef(
                kind="credit_note", id=doc_id, number=note.credit_note_number, total=note.total
            )
        if task.status is TaskStatus.PROCESSING:
            raise Conflict(f"task {task.task_id} is being synced now; try again", field="key")
        adopted = task.model_copy(update=update)
        self._store(adopted, task)
        return RepairDone(
            key=difference.key,
            action=Repair.ADOPT,
            message=f"Order {task.order_number}: Xero document {doc_id} adopted; nothing sent",
            task=adopted,
        )

    def _remap(
        self, reseller_id: str, difference: Difference, request: RepairRequest, actor: str
    ) -> RepairDone:
        if difference.kind is DriftKind.ITEM_DELETED:
            if not request.item_code:
                raise InvalidInput("name the Xero item to map the product to", field="item_code")
            assert difference.mpn is not None
            self._mapping_desk.map_product(reseller_id, difference.mpn, request.item_code, actor)
            return RepairDone(
                key=difference.key,
                action=Repair.REMAP,
                message=f"Product {difference.mpn} mapped to Xero item {request.item_code}",
            )
        contact_id = request.contact_id or difference.suggested_contact_id
        if not contact_id:
            raise InvalidInput("name the Xero contact to map the customer to", field="contact_id")
        found = self._xero(reseller_id).contacts_by_id([contact_id])
        if not found:
            raise InvalidInput(f"Xero has no contact {contact_id}", field="contact_id")
        if found[0].archived or found[0].merged_to_contact_id:
            raise InvalidInput(f"contact {contact_id} is archived in Xero", field="contact_id")
        assert difference.customer_id is not None
        self._mapping_desk.map_customer(reseller_id, difference.customer_id, contact_id, actor)
        return RepairDone(
            key=difference.key,
            action=Repair.REMAP,
            message=f"Customer {difference.customer_id} mapped to Xero contact {contact_id}",
        )

    def _store(self, task: SyncTask, previous: SyncTask) -> None:
        if not self._tasks.replace(task, previous=previous):
            raise Conflict(f"task {task.task_id} changed meanwhile; try again", field="key")
