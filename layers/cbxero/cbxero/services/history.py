"""History: the start date a reseller chooses (on connecting, and by hand later), and how a
back-fill is going.

Choosing an earlier start than before (or than the default month) re-reads from there:
every customer whose cursor is past the start has it cleared, so its next look starts at the
start again and takes its active subscriptions' open billing; tasks already made stay as they
are (one task per order). A look is queued for every customer of the reseller, through the
same queue and worker as the schedule's; customers with auto-sync on have their tasks
processed in the same job, the others wait for a sync by hand. A later start applies to
customers not read yet.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict

from cbxero.domain.history import (
    Estimate,
    HistoryStart,
    default_start,
    earliest_start,
    estimate,
    parsed_start,
)
from cbxero.domain.model import ActionLogEntry, LogStatus, TaskStatus
from cbxero.ports import (
    ActionLog,
    Budget,
    Clock,
    CustomerLinkRepository,
    HistoryRecord,
    JobQueue,
    Marketplace,
    SyncJob,
    TaskFigures,
)
from cbxero.services.budget import BudgetView

DONE = frozenset({TaskStatus.SYNCED, TaskStatus.IGNORED})


class HistoryView(BaseModel):
    """Where history starts, and the back-fill's progress: tasks done (synced or ignored) and
    waiting (new, processing, failed, waiting for an action), and the estimate from the
    organisation's Xero budget (none while no organisation is connected)."""

    model_config = ConfigDict(frozen=True)

    start: AwareDatetime
    chosen: bool  # False: nothing chosen yet, the default month back
    chosen_at: AwareDatetime | None = None
    chosen_by: str | None = None
    earliest_allowed: AwareDatetime
    done: int
    waiting: int
    by_status: dict[TaskStatus, int]
    budget: BudgetView | None = None
    estimate: Estimate | None = None


class HistoryChosen(HistoryView):
    customers_reread: int
    jobs_queued: int


class HistoryDesk:
    def __init__(
        self,
        *,
        history: HistoryRecord,
        links: CustomerLinkRepository,
        figures: TaskFigures,
        marketplace: Marketplace,
        queue: JobQueue,
        action_log: ActionLog,
        budget: Callable[[str], Budget | None],
        clock: Clock,
    ) -> None:
        self._history = history
        self._links = links
        self._figures = figures
        self._marketplace = marketplace
        self._queue = queue
        self._log = action_log
        # The organisation's Xero budget today, None while the reseller has none connected.
        self._budget = budget
        self._clock = clock

    def view(self, reseller_id: str) -> HistoryView:
        return self.progress(reseller_id, self._counts(reseller_id), self._budget(reseller_id))

    def progress(
        self, reseller_id: str, counts: Mapping[TaskStatus, int], budget: Budget | None
    ) -> HistoryView:
        """The view from task counts and a budget already read (the dashboard reads both)."""
        now = self._clock.now()
        chosen = self._history.get(reseller_id)
        waiting = sum(n for status, n in counts.items() if status not in DONE)
        return HistoryView(
            start=chosen.start if chosen else default_start(now),
            chosen=chosen is not None,
            chosen_at=chosen.chosen_at if chosen else None,
            chosen_by=chosen.chosen_by if chosen else None,
            earliest_allowed=earliest_start(now),
            done=sum(n for status, n in counts.items() if status in DONE),
            waiting=waiting,
            by_status={status: counts.get(status, 0) for status in TaskStatus},
            budget=BudgetView.of(budget),
            estimate=estimate(waiting, budget.left, budget.limit, now) if budget else None,
        )

    def choose(self, reseller_id: str, raw_start: object, actor: str) -> HistoryChosen:
        """Start history at this date (refused with 400 naming `from` when out of bounds); when it
        is earlier than before, re-read from there and queue a look for every customer."""
        now = self._clock.now()
        start = parsed_start(raw_start, now)
        before = self._history.get(reseller_id)
        earlier = start < (before.start if before else default_start(now))
        self._history.save(reseller_id, HistoryStart(start=start, chosen_at=now, chosen_by=actor))
        # Only an earlier start has anything new to read; a later one applies to first looks.
        reread = self._reread_from(reseller_id, start) if earlier else 0
        queued = self._queue_looks(reseller_id, start, now, actor) if earlier else 0
        self._log.add(
            ActionLogEntry(
                reseller_id=reseller_id,
                at=now,
                action="history_start",
                status=LogStatus.INFO,
                actor=actor,
                message=f"History starts at {start.isoformat()}: {reread} customer(s) re-read "
                f"from there, {queued} look(s) queued; tasks already made stay as they are",
            )
        )
        return HistoryChosen(
            **self.view(reseller_id).model_dump(), customers_reread=reread, jobs_queued=queued
        )

    # ------------------------------------------------------------------ parts
    def _reread_from(self, reseller_id: str, start: datetime) -> int:
        """Clear the cursor of every customer that has read past the start."""
        reread = 0
        for link in self._links.for_reseller(reseller_id):
            if link.orders_synced_until is not None and link.orders_synced_until > start:
                self._links.save(link.model_copy(update={"orders_synced_until": None}))
                reread += 1
        return reread

    def _queue_looks(self, reseller_id: str, start: datetime, now: datetime, actor: str) -> int:
        auto = {
            link.customer_id for link in self._links.for_reseller(reseller_id) if link.auto_sync
        }
        slot = f"history:{start.date().isoformat()}:{now.isoformat()}"
        jobs = [
            SyncJob(
                reseller_id=reseller_id,
                customer_id=customer.id,
                slot=slot,
                process=customer.id in auto,
                actor=actor,
            )
            for customer in self._marketplace.customers(reseller_id)
        ]
        return self._queue.send(jobs) if jobs else 0

    def _counts(self, reseller_id: str) -> Counter[TaskStatus]:
        """Tasks by status, from the status index (no task is read out)."""
        found = self._figures.by_status_and_type(reseller_id)
        return Counter({TaskStatus(status): sum(types.values()) for status, types in found.items()})
