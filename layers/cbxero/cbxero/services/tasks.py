"""The store's sync-task screen: list and inspect tasks, check changes, sync by hand (lines
edited first), ignore, un-ignore and retry. Work itself is queued for the worker, which alone
holds the Xero tokens."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from cbxero.domain.documents import (
    DocumentPlan,
    LineSource,
    PlanRefused,
    mapping_key,
)
from cbxero.domain.errors import Conflict, InvalidInput, NotFound
from cbxero.domain.listing import TaskFilter, TaskPage
from cbxero.domain.model import (
    LineEdit,
    SyncTask,
    TargetChoice,
    TaskStatus,
)
from cbxero.domain.settings import PriceSource
from cbxero.domain.xero import LineItem
from cbxero.ports import (
    ActionLog,
    Clock,
    JobQueue,
    Marketplace,
    ProductMappingRepository,
    SettingsRepository,
    SyncJob,
    TaskRepository,
)
from cbxero.services.mapping import owned_customer
from cbxero.services.recording import Recorder

MAX_TASKS_BY_HAND = 100


class PlannedDocuments(BaseModel):
    """What syncing the task would send to Xero now, under the current settings and mappings."""

    model_config = ConfigDict(frozen=True)

    invoice_lines: tuple[LineItem, ...] = ()
    credit_note_lines: tuple[LineItem, ...] = ()
    # Each planned line's order line (the index a LineEdit names), in the same order.
    invoice_line_indexes: tuple[int, ...] = ()
    credit_note_line_indexes: tuple[int, ...] = ()
    quantity_changes: tuple[str, ...] = ()
    expected_total: Decimal | None = None
    problem: str | None = None  # why nothing can be planned yet (a missing mapping, say)
    note: str | None = None


class TaskDetail(BaseModel):
    model_config = ConfigDict(frozen=True)

    task: SyncTask
    planned: PlannedDocuments


@dataclass(frozen=True)
class HandSync:
    """A sync by hand: the tasks, each one's edited lines, and where their lines go (None: where
    the reseller's invoice_target setting says, when the worker takes them up)."""

    task_ids: tuple[str, ...]
    edits: dict[str, tuple[LineEdit, ...]]
    target: TargetChoice | None = None
    invoice_id: str | None = None


class TaskDesk:
    def __init__(
        self,
        *,
        settings: SettingsRepository,
        mappings: ProductMappingRepository,
        tasks: TaskRepository,
        marketplace: Marketplace,
        action_log: ActionLog,
        queue: JobQueue,
        clock: Clock,
    ) -> None:
        self._settings = settings
        self._mappings = mappings
        self._tasks = tasks
        self._marketplace = marketplace
        self._log = action_log
        self._queue = queue
        self._clock = clock
        self._recorder = Recorder(action_log, clock)

    # ------------------------------------------------------------------ reading
    def page(self, reseller_id: str, wanted: TaskFilter) -> TaskPage:
        return self._tasks.page(reseller_id, wanted)

    def detail(self, reseller_id: str, task_id: str) -> TaskDetail:
        task = self._get(reseller_id, task_id)
        return TaskDetail(task=task, planned=self._planned(task))

    def _planned(self, task: SyncTask) -> PlannedDocuments:
        if task.status is TaskStatus.IGNORED:
            return PlannedDocuments(problem=task.reason)
        settings = self._settings.get(task.reseller_id)
        note = None
        if settings.price_source is PriceSource.XERO:
            # The Xero items' prices are read by the worker; the plan shows the order's.
            settings = settings.model_copy(update={"price_source": PriceSource.MARKETPLACE})
            note = "unit prices shown are the order's; syncing takes the Xero items' prices"
        order = self._marketplace.order(task.order_id)
        mappings = self._mappings.get_many(
            task.reseller_id, sorted({mapping_key(line) for line in order.lines})
        )
        try:
            plan = DocumentPlan.build(order, settings, mappings, {}, task.edits)
        except PlanRefused as problem:
            return PlannedDocuments(problem=str(problem))
        return PlannedDocuments(
            invoice_lines=plan.charges,
            credit_note_lines=plan.refunds,
            invoice_line_indexes=_order_lines(plan.charge_sources),
            credit_note_line_indexes=_order_lines(plan.refund_sources),
            quantity_changes=plan.quantity_changes,
            expected_total=plan.expected,
            note=note,
        )

    # ------------------------------------------------------------------ work
    def check_changes(self, reseller_id: str, customer_id: str | None, actor: str) -> int:
        """Queue a look for new orders (tasks are created, not processed) for one customer, or
        every customer the marketplace lists; returns how many jobs were queued."""
        customers = (
            [owned_customer(self._marketplace, reseller_id, customer_id).id]
            if customer_id
            else [c.id for c in self._marketplace.customers(reseller_id)]
        )
        slot = f"check:{self._clock.now().isoformat()}"
        jobs = [
            SyncJob(reseller_id=reseller_id, customer_id=c, slot=slot, process=False, actor=actor)
            for c in customers
        ]
        return self._queue.send(jobs) if jobs else 0

    def sync_now(self, reseller_id: str, customer_id: str, actor: str) -> SyncJob:
        """Queue a by-hand sync of one of the reseller's customers: check changes, then
        process its tasks."""
        owned_customer(self._marketplace, reseller_id, customer_id)
        job = SyncJob(
            reseller_id=reseller_id,
            customer_id=customer_id,
            slot=f"manual:{self._clock.now().isoformat()}",
            actor=actor,
        )
        self._queue.send([job])
        return job

    def sync_by_hand(self, reseller_id: str, request: HandSync, actor: str) -> list[SyncTask]:
        """Store each task's edits and target, then queue it for the worker."""
        if not request.task_ids or len(request.task_ids) > MAX_TASKS_BY_HAND:
            raise InvalidInput(f"name 1 to {MAX_TASKS_BY_HAND} tasks to sync", field="task_ids")
        if request.target is TargetChoice.GIVEN and not request.invoice_id:
            raise InvalidInput("a given invoice needs its invoice_id", field="invoice_id")
        unknown = set(request.edits) - set(request.task_ids)
        if unknown:
            raise InvalidInput(
                f"edits for tasks not being synced: {sorted(unknown)}", field="edits"
            )
        tasks = [self._get(reseller_id, task_id) for task_id in request.task_ids]
        for task in tasks:
            if not task.can_sync_by_hand:
                raise Conflict(f"task {task.task_id} is {task.status}: it cannot be synced now")
        prepared = [
            task.model_copy(
                update={
                    "edits": request.edits.get(task.task_id, ()),
                    "target": request.target,
                    "target_invoice_id": request.invoice_id,
                    "retry_at": None,
                    "updated_at": self._clock.now(),
                }
            )
            for task in tasks
        ]
        stored = self._tasks.replace_many(list(zip(prepared, tasks, strict=True)))
        if not all(stored):
            raise Conflict("a task changed meanwhile (a worker took it up); try again")
        self._queue_tasks(reseller_id, prepared, actor)
        for task in prepared:
            self._record(task, actor, "task_sync_requested", "Sync by hand requested")
        return prepared

    def ignore(self, reseller_id: str, task_id: str, reason: str, actor: str) -> SyncTask:
        return self._move(reseller_id, task_id, TaskStatus.IGNORED, actor, reason=reason)

    def unignore(self, reseller_id: str, task_id: str, actor: str) -> SyncTask:
        task = self._get(reseller_id, task_id)
        if task.status is not TaskStatus.IGNORED:
            raise Conflict(f"task {task_id} is {task.status}, not ignored")
        return self._move(reseller_id, task_id, TaskStatus.NEW, actor)

    def retry(self, reseller_id: str, task_id: str, actor: str) -> SyncTask:
        task = self._get(reseller_id, task_id)
        if not task.can_retry:
            raise Conflict(f"task {task_id} is {task.status}: only failed or waiting tasks retry")
        moved = self._move(reseller_id, task_id, TaskStatus.NEW, actor, reason="retry requested")
        self._queue_tasks(reseller_id, [moved], actor)
        return moved

    # ------------------------------------------------------------------ helpers
    def _move(
        self,
        reseller_id: str,
        task_id: str,
        status: TaskStatus,
        actor: str,
        *,
        reason: str | None = None,
    ) -> SyncTask:
        task = self._get(reseller_id, task_id)
        if not task.can_become(status):
            raise Conflict(
                f"task {task_id} is {task.status}: it cannot become {status}", field="taskId"
            )
        moved = task.moved_to(status, self._clock.now(), reason=reason)
        if not self._tasks.replace(moved, previous=task):
            raise Conflict(f"task {task_id} changed meanwhile; try again", field="taskId")
        verb = {TaskStatus.IGNORED: "ignored", TaskStatus.NEW: "returned to new"}[status]
        self._record(
            moved, actor, f"task_{status.value}", f"Task {verb}" + (f": {reason}" if reason else "")
        )
        return moved

    def _queue_tasks(self, reseller_id: str, tasks: Sequence[SyncTask], actor: str) -> None:
        by_customer: dict[str, list[str]] = defaultdict(list)
        for task in tasks:
            by_customer[task.customer_id].append(task.task_id)
        slot = f"hand:{self._clock.now().isoformat()}"
        self._queue.send(
            [
                SyncJob(
                    reseller_id=reseller_id,
                    customer_id=customer_id,
                    slot=slot,
                    actor=actor,
                    check=False,
                    task_ids=tuple(task_ids),
                )
                for customer_id, task_ids in by_customer.items()
            ]
        )

    def _get(self, reseller_id: str, task_id: str) -> SyncTask:
        task = self._tasks.get(reseller_id, task_id)
        if task is None:
            hint = (
                ""
                if task_id.isdigit()
                else ": a task's id is the order's id (digits), not its number"
            )
            raise NotFound(f"no task {task_id}{hint}", field="taskId")
        return task

    def _record(self, task: SyncTask, actor: str, action: str, message: str) -> None:
        self._recorder.info(
            task.reseller_id,
            action,
            actor,
            f"Order {task.order_number}: {message}",
            customer_id=task.customer_id,
            order_id=task.order_id,
        )


def _order_lines(sources: Sequence[LineSource]) -> tuple[int, ...]:
    return tuple(source.order_line for source in sources if source.order_line is not None)
