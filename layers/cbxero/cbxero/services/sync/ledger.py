"""The claims of one run: every claimed task ends exactly once, finished or abandoned, and how it
ended is stored many to a call.

The protocol, in the ledger's methods:
- a claimed task is open until `end` (or `abandon`) takes it out; `is_open` is how a stage knows
  whether a task still needs it;
- `record` stores a change before a Xero call (where the lines are going), so that a retry
  looks there first; a task another worker took meanwhile stops being open;
- `mark_sent` notes a task whose document goes out in a write before the write goes: a task
  ended or released after it is stored as sent, and the next attempt looks in Xero first;
- `flush` stores the ended tasks; `releases` says how to put every claim back when they could
  not be stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from cbxero.domain.model import SyncTask, TaskStatus, XeroDocumentRef
from cbxero.ports import Clock, TaskRepository


class Ended(NamedTuple):
    """A task this run ended: as it ends, as it was stored, the Action Log's line, and whether
    the reseller has something left to do in Xero (a credit note to apply, say)."""

    done: SyncTask
    stored: SyncTask
    message: str
    follow_up: bool


class Ledger:
    """One run's claimed tasks, and how each ended (see the module's protocol)."""

    def __init__(self, tasks: TaskRepository, clock: Clock, claimed: Iterable[SyncTask]) -> None:
        self._tasks = tasks
        self._clock = clock
        self._open: dict[str, SyncTask] = {task.order_id: task for task in claimed}
        self._sent: set[str] = set()  # tasks whose documents went out in a write
        self._ended: list[Ended] = []

    def is_open(self, order_id: str) -> bool:
        return order_id in self._open

    def mark_sent(self, order_ids: Iterable[str]) -> None:
        self._sent.update(order_ids)

    def record(self, task: SyncTask, **changes: object) -> SyncTask | None:
        """The task with these changes, stored now; None when another worker took it."""
        current = self._open.get(task.order_id, task)
        updated = current.model_copy(update={**changes, "updated_at": self._clock.now()})
        if not self._tasks.replace(updated, previous=current):
            self._open.pop(task.order_id, None)
            return None
        self._open[task.order_id] = updated
        return updated

    def end(
        self,
        task: SyncTask,
        status: TaskStatus,
        reason: str | None,
        *,
        document: XeroDocumentRef | None = None,
        credit_note: XeroDocumentRef | None = None,
        note: str | None = None,
        retry_after: float | None = None,
        follow_up: bool = False,
    ) -> None:
        """The task ends in this status (stored by `flush`); nothing when it already ended."""
        current = self._open.pop(task.order_id, None)
        if current is None:
            return  # already ended, or another worker took it
        said = note  # this run's note, for the Action Log
        if task.note and not note:
            note = task.note
        done = current.moved_to(
            status,
            self._clock.now(),
            reason=reason,
            document=document,
            credit_note=credit_note,
            note=note,
        )
        if retry_after is not None:
            done = done.retried_after(retry_after)
        if task.order_id in self._sent:
            done = done.model_copy(update={"sent": True})
        if task.line_item_ids:  # the ledger: the lines Xero holds for this order
            done = done.model_copy(update={"line_item_ids": task.line_item_ids})
        if task.xero_side is not None:  # what Xero said of the document (voided, say)
            done = done.model_copy(update={"xero_side": task.xero_side})
        if current.remake_confirmed and status is TaskStatus.SYNCED:
            # Made again on the reseller's word: what Xero said of the old document is over.
            done = done.model_copy(update={"remake_confirmed": False, "xero_side": None})
        if task.tax_differences:
            done = done.model_copy(update={"tax_differences": task.tax_differences})
        self._ended.append(Ended(done, current, _message(done, reason, said), follow_up))

    def abandon(self, status: TaskStatus, reason: str, retry_after: float | None = None) -> None:
        """Xero stopped the run (a limit, an outage, a refused token): every task still open
        waits with the reason; those that had reached Xero are looked for on the next try."""
        for task in list(self._open.values()):
            self.end(task, status, reason, retry_after=retry_after)

    def releases(self, reason: str) -> list[tuple[SyncTask, SyncTask]]:
        """The run could not store how its tasks ended: each goes from the version stored back
        to failed with a retry time, keeping what reached Xero (sent, documents), so that the
        retry looks there first. Pairs of (released, stored)."""
        now = self._clock.now()
        pairs = [(ended.done, ended.stored) for ended in self._ended]
        pairs += [(task, task) for task in self._open.values()]
        released = []
        for done, current in pairs:
            back = current.moved_to(
                TaskStatus.FAILED,
                now,
                reason=reason,
                document=done.document,
                credit_note=done.credit_note,
            )
            if current.order_id in self._sent:
                back = back.model_copy(update={"sent": True})
            released.append((back, current))
        return released

    def flush(self) -> list[Ended]:
        """Store the ended tasks (many to a call); the ones stored, which are this run's to
        report (the others are another worker's now). A worker that dies before this leaves
        them in processing: taken over after the lease, and looked for in Xero first."""
        ended = self._ended
        stored = self._tasks.replace_many([(e.done, e.stored) for e in ended])
        self._ended = []  # stored: nothing left to release
        return [e for e, ok in zip(ended, stored, strict=True) if ok]


def _message(task: SyncTask, reason: str | None, note: str | None = None) -> str:
    """The Action Log's line for an ended task: what reached Xero, or that nothing did, with
    this run's note (why a credit is not allocated, what was recorded instead)."""
    if task.status is not TaskStatus.SYNCED:
        return f"Order {task.order_number}: {reason}" + (f" ({note})" if note else "")
    made = ", ".join(
        f"{ref.kind.replace('_', ' ')} {ref.number}"
        for ref in (task.document, task.credit_note)
        if ref
    )
    if not made:  # done, but no document: a quantity-only change, or no fees at all
        return f"Order {task.order_number}: nothing sent to Xero" + (
            f"; {task.note}" if task.note else ""
        )
    return f"Order {task.order_number} synced to Xero: {made}" + (
        f" ({task.note})" if task.note else ""
    )
