"""The dispatcher's use case: one sync job per due customer, for each due reseller.

Every five minutes it also sweeps tasks whose retry time has come (failed ones backing off,
ones a rate limit or an outage stopped, ones a dead worker left in processing) and enqueues a
job for their customers. A run that is running out of time stops at a cursor and is continued
by another invocation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain

from pydantic import BaseModel, ConfigDict

from cbxero.domain.settings import AutoSync
from cbxero.ports import (
    CustomerLinkRepository,
    DueReseller,
    JobQueue,
    SettingsRepository,
    SyncJob,
    TaskRepository,
)

SLOT_FORMATS = {
    AutoSync.EVERY_5_MINUTES: "%Y%m%dT%H%M",
    AutoSync.DAILY: "%Y%m%d",
}
JOBS_PER_SEND = 100
# Stop and hand over to a continuation when less time than this is left (milliseconds).
TIME_MARGIN_MS = 30_000


def schedule_slot(frequency: AutoSync, at: datetime) -> str:
    """The schedule slot a run belongs to; a second run in the same slot enqueues nothing new."""
    if frequency is AutoSync.EVERY_5_MINUTES:
        at = at.replace(minute=at.minute - at.minute % 5)
    return f"{frequency.value}:{at.strftime(SLOT_FORMATS[frequency])}"


class DispatchCursor(BaseModel):
    """Where a run stopped: the retry sweep done or not, the reseller and customer reached."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    slot: str
    swept: bool = False
    reseller_id: str | None = None
    customer_id: str | None = None


@dataclass
class DispatchReport:
    resellers: int = 0
    jobs: int = 0
    retry_jobs: int = 0
    skipped_reconnect: list[str] = field(default_factory=list)
    resume: DispatchCursor | None = None


class Dispatcher:
    def __init__(
        self,
        *,
        settings: SettingsRepository,
        links: CustomerLinkRepository,
        tasks: TaskRepository,
        queue: JobQueue,
    ) -> None:
        self._settings = settings
        self._links = links
        self._tasks = tasks
        self._queue = queue

    def dispatch(
        self,
        frequency: AutoSync,
        at: datetime,
        *,
        time_left_ms: Callable[[], int] = lambda: 10**9,
        cursor: DispatchCursor | None = None,
    ) -> DispatchReport:
        """Enqueue a job for every auto-sync customer of every reseller due at this frequency
        (and, every five minutes, for customers with tasks due for retry)."""
        if frequency is AutoSync.OFF:
            raise ValueError("nothing is dispatched for auto-sync off")
        cursor = cursor or DispatchCursor(slot=schedule_slot(frequency, at))
        report = DispatchReport()
        outbox = _Outbox(self._queue)
        if frequency is AutoSync.EVERY_5_MINUTES and not cursor.swept:
            report.retry_jobs = self._sweep(at, cursor.slot, outbox)
        resuming = cursor.reseller_id
        resellers: Iterable[DueReseller] = self._settings.resellers_due(frequency, after=resuming)
        if resuming:  # the reseller a run stopped in first, from its next customer
            resellers = chain([DueReseller(resuming, reconnect_needed=False)], resellers)
        for due in resellers:
            if due.reconnect_needed:
                report.skipped_reconnect.append(due.reseller_id)
                continue
            report.resellers += 1
            after = cursor.customer_id if due.reseller_id == resuming else None
            for count, customer_id in enumerate(
                self._links.auto_sync_customers(due.reseller_id, after=after), start=1
            ):
                outbox.add(
                    SyncJob(reseller_id=due.reseller_id, customer_id=customer_id, slot=cursor.slot)
                )
                if count % 500 == 0 and time_left_ms() < TIME_MARGIN_MS:
                    outbox.flush()
                    report.jobs = outbox.sent - report.retry_jobs
                    report.resume = DispatchCursor(
                        slot=cursor.slot,
                        swept=True,
                        reseller_id=due.reseller_id,
                        customer_id=customer_id,
                    )
                    return report
        outbox.flush()
        report.jobs = outbox.sent - report.retry_jobs
        return report

    def _sweep(self, at: datetime, slot: str, outbox: _Outbox) -> int:
        """A job for each customer with tasks due for retry (skipping resellers that must
        reconnect first); returns how many."""
        paused: dict[str, bool] = {}
        before = outbox.queued
        for reseller_id, customer_id in self._tasks.due_for_retry(at):
            if reseller_id not in paused:
                paused[reseller_id] = self._settings.reconnect_needed(reseller_id)
            if paused[reseller_id]:
                continue
            outbox.add(
                SyncJob(
                    reseller_id=reseller_id,
                    customer_id=customer_id,
                    slot=f"retry:{slot}",
                    check=False,
                    retries_only=True,
                )
            )
        return outbox.queued - before


class _Outbox:
    """Jobs gathered and sent in batches (the queue sends 10 to a call)."""

    def __init__(self, queue: JobQueue) -> None:
        self._queue = queue
        self._pending: list[SyncJob] = []
        self.sent = 0
        self.queued = 0

    def add(self, job: SyncJob) -> None:
        self._pending.append(job)
        self.queued += 1
        if len(self._pending) >= JOBS_PER_SEND:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            self.sent += self._queue.send(self._pending)
            self._pending = []
