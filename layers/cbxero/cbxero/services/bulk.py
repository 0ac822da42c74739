"""Bulk actions on the task list: ignore (with a reason), un-ignore, retry and sync every task a
filter selects (the filters of `GET /tasks`). One page a call, at most `limit` tasks, with the
list's own sealed cursor to continue: a call stays short whatever the filter selects. Each task
follows its own status rules (`TaskStatus`); those that cannot are skipped, saying why. Each
change is written to the Action Log with the user as actor."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from cbxero.domain.errors import InvalidInput
from cbxero.domain.listing import TaskFilter, TaskPage
from cbxero.domain.model import SyncTask, TaskStatus
from cbxero.ports import ActionLog, Clock, JobQueue, SyncJob, TaskRepository
from cbxero.services.recording import Recorder

MOST_PER_CALL = 200


class BulkAction(StrEnum):
    IGNORE = "ignore"
    UNIGNORE = "unignore"
    RETRY = "retry"
    SYNC = "sync"


class Skipped(BaseModel):
    model_config = ConfigDict(frozen=True)

    task_id: str
    reason: str


class BulkResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    action: BulkAction
    looked_at: int
    changed: int
    changed_ids: list[str]
    skipped: list[Skipped]
    next_cursor: str | None = None


class TaskBulk:
    def __init__(
        self, *, tasks: TaskRepository, action_log: ActionLog, queue: JobQueue, clock: Clock
    ) -> None:
        self._tasks = tasks
        self._queue = queue
        self._clock = clock
        self._recorder = Recorder(action_log, clock)

    def apply(
        self,
        reseller_id: str,
        action: BulkAction,
        wanted: TaskFilter,
        actor: str,
        reason: str | None = None,
        *,
        task_ids: Sequence[str] | None = None,
    ) -> BulkResult:
        """The action on one page of the tasks the filter selects, or on the tasks named."""
        if action is BulkAction.IGNORE and not reason:
            raise InvalidInput("say why the tasks are ignored", field="reason")
        if not 1 <= wanted.limit <= MOST_PER_CALL:
            raise InvalidInput(f"1 to {MOST_PER_CALL} tasks a call", field="limit")
        if task_ids is None:
            page = self._tasks.page(reseller_id, wanted)
        else:
            page = self._named(reseller_id, task_ids)
        now = self._clock.now()
        changes: list[tuple[SyncTask, SyncTask]] = []
        skipped: list[Skipped] = [
            Skipped(task_id=task_id, reason="no such task")
            for task_id in dict.fromkeys(task_ids or ())
            if task_id not in {task.task_id for task in page.items}
        ]
        for task in page.items:
            changed_or_why = self._change(task, action, reason)
            if isinstance(changed_or_why, str):
                skipped.append(Skipped(task_id=task.task_id, reason=changed_or_why))
            else:
                changes.append((changed_or_why, task))
        stored = self._tasks.replace_many(changes) if changes else []
        done = [task for (task, _), ok in zip(changes, stored, strict=True) if ok]
        skipped += [
            Skipped(task_id=task.task_id, reason="it changed meanwhile (a worker took it up)")
            for (task, _), ok in zip(changes, stored, strict=True)
            if not ok
        ]
        if action in (BulkAction.RETRY, BulkAction.SYNC):
            self._queue_tasks(reseller_id, done, actor, now.isoformat())
        for task in done:
            self._recorder.info(
                reseller_id,
                f"task_bulk_{action.value}",
                actor,
                f"Order {task.order_number}: {_SAID[action]}"
                + (f": {reason}" if action is BulkAction.IGNORE else ""),
                customer_id=task.customer_id,
                order_id=task.order_id,
            )
        return BulkResult(
            action=action,
            looked_at=len(page.items),
            changed=len(done),
            changed_ids=[task.task_id for task in done],
            skipped=skipped,
            next_cursor=page.next_cursor,
        )

    def _named(self, reseller_id: str, task_ids: Sequence[str]) -> TaskPage:
        if len(task_ids) > MOST_PER_CALL:
            raise InvalidInput(f"1 to {MOST_PER_CALL} tasks a call", field="filter.task_ids")
        found = (self._tasks.get(reseller_id, task_id) for task_id in dict.fromkeys(task_ids))
        return TaskPage(items=[task for task in found if task is not None])

    def _change(self, task: SyncTask, action: BulkAction, reason: str | None) -> SyncTask | str:
        """The task after the action, or why it is skipped."""
        now = self._clock.now()
        if action is BulkAction.IGNORE:
            if task.status is TaskStatus.IGNORED:
                return "already ignored"
            if not task.can_become(TaskStatus.IGNORED):
                return f"it is {task.status}: only new, failed or waiting tasks are ignored"
            return task.moved_to(TaskStatus.IGNORED, now, reason=reason)
        if action is BulkAction.UNIGNORE:
            if task.status is not TaskStatus.IGNORED:
                return f"it is {task.status}, not ignored"
            return task.moved_to(TaskStatus.NEW, now)
        if action is BulkAction.RETRY:
            if not task.can_retry:
                return f"it is {task.status}: only failed or waiting tasks retry"
            return task.moved_to(TaskStatus.NEW, now, reason="retry requested")
        if not task.can_sync_by_hand:
            return f"it is {task.status}: only new, failed or waiting tasks sync by hand"
        return task.model_copy(
            update={
                "edits": (),
                "target": None,
                "target_invoice_id": None,
                "retry_at": None,
                "updated_at": now,
            }
        )

    def _queue_tasks(
        self, reseller_id: str, tasks: Sequence[SyncTask], actor: str, at: str
    ) -> None:
        by_customer: dict[str, list[str]] = defaultdict(list)
        for task in tasks:
            by_customer[task.customer_id].append(task.task_id)
        jobs = [
            SyncJob(
                reseller_id=reseller_id,
                customer_id=customer_id,
                slot=f"bulk:{at}",
                actor=actor,
                check=False,
                task_ids=tuple(task_ids),
            )
            for customer_id, task_ids in by_customer.items()
        ]
        if jobs:
            self._queue.send(jobs)


_SAID = {
    BulkAction.IGNORE: "ignored (bulk)",
    BulkAction.UNIGNORE: "returned to new (bulk un-ignore)",
    BulkAction.RETRY: "returned to new (bulk retry)",
    BulkAction.SYNC: "sync requested (bulk)",
}
