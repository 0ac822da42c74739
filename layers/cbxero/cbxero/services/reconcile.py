"""The drift report's repairs (the report itself: `drift_report.py`): act on a repair only
when the reseller names it. Every repair is written to the Action Log with the
user as actor; a repair of a difference that no longer exists is refused (409), naming why."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from cbxero.domain.drift import Difference, DriftKind, DriftWorld, Repair, find_drift
from cbxero.domain.drift import resynced as resynced_task
from cbxero.domain.errors import Conflict, InvalidInput
from cbxero.domain.model import (
    ActionLogEntry,
    LogStatus,
    SyncTask,
    TaskStatus,
    XeroDocumentRef,
)
from cbxero.ports import (
    ActionLog,
    Clock,
    CustomerLinkRepository,
    DriftRecords,
    JobQueue,
    Marketplace,
    SyncJob,
    TaskRepository,
    XeroAccounting,
)
from cbxero.services.drift_report import DriftReader, DriftReport, checked_period
from cbxero.services.mapping import MappingDesk


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


class DriftDesk:
    """The repairs, each on the reseller's word."""

    def __init__(
        self,
        *,
        reader: DriftReader,
        tasks: TaskRepository,
        marketplace: Marketplace,
        xero: Callable[[str], XeroAccounting],
        records: DriftRecords,
        mapping_desk: MappingDesk,
        links: CustomerLinkRepository,
        action_log: ActionLog,
        queue: JobQueue,
        clock: Clock,
    ) -> None:
        self._reader = reader
        self._tasks = tasks
        self._marketplace = marketplace
        self._xero = xero
        self._records = records
        self._mapping_desk = mapping_desk
        self._links = links
        self._log = action_log
        self._queue = queue
        self._clock = clock

    def report(self, reseller_id: str, start: datetime, end: datetime) -> DriftReport:
        return self._reader.report(reseller_id, start, end)

    # ------------------------------------------------------------------ repairs
    def repair(self, reseller_id: str, request: RepairRequest, actor: str) -> RepairDone:
        start, end = checked_period(request.start, request.end)
        world = self._reader.world_of(reseller_id, request.key, start, end)
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
            if not self._records.ignore(
                reseller_id, difference.key, request.reason, actor, self._clock.now()
            ):  # another request acknowledged it since this one read the records
                raise Conflict(f"difference {difference.key} was already acknowledged", field="key")
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
        again = resynced_task(
            task,
            self._clock.now(),
            f"to be {verb} on {actor}'s word",
            remake=action is Repair.REMAKE,
        )
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
        assert difference.customer_id is not None
        others = [
            c
            for c in self._links.customers_linked_to(reseller_id, contact_id)
            if c != difference.customer_id
        ]
        if others and not request.contact_id:  # a default never lands on another's contact
            raise InvalidInput(
                f"contact {contact_id} is customer {', '.join(others)}'s: name the contact to "
                "map the customer to",
                field="contact_id",
            )
        found = self._xero(reseller_id).contacts_by_id([contact_id])
        if not found:
            raise InvalidInput(f"Xero has no contact {contact_id}", field="contact_id")
        if found[0].archived or found[0].merged_to_contact_id:
            raise InvalidInput(f"contact {contact_id} is archived in Xero", field="contact_id")
        self._mapping_desk.map_customer(reseller_id, difference.customer_id, contact_id, actor)
        return RepairDone(
            key=difference.key,
            action=Repair.REMAP,
            message=f"Customer {difference.customer_id} mapped to Xero contact {contact_id}",
        )

    def _store(self, task: SyncTask, previous: SyncTask) -> None:
        if not self._tasks.replace(task, previous=previous):
            raise Conflict(f"task {task.task_id} changed meanwhile; try again", field="key")
