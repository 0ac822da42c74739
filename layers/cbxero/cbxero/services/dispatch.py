"""The dispatcher's use case: one sync job per due customer, for each due reseller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cbxero.domain.settings import AutoSync
from cbxero.ports import CustomerLinkRepository, JobQueue, SettingsRepository, SyncJob

SLOT_FORMATS = {
    AutoSync.EVERY_5_MINUTES: "%Y%m%dT%H%M",
    AutoSync.DAILY: "%Y%m%d",
}
JOBS_PER_SEND = 100


def schedule_slot(frequency: AutoSync, at: datetime) -> str:
    """The schedule slot a run belongs to; a second run in the same slot enqueues nothing new."""
    if frequency is AutoSync.EVERY_5_MINUTES:
        at = at.replace(minute=at.minute - at.minute % 5)
    return f"{frequency.value}:{at.strftime(SLOT_FORMATS[frequency])}"


@dataclass
class DispatchReport:
    resellers: int = 0
    jobs: int = 0


class Dispatcher:
    def __init__(
        self, *, settings: SettingsRepository, links: CustomerLinkRepository, queue: JobQueue
    ) -> None:
        self._settings = settings
        self._links = links
        self._queue = queue

    def dispatch(self, frequency: AutoSync, at: datetime) -> DispatchReport:
        """Enqueue a job for every auto-sync customer of every reseller due at this frequency."""
        if frequency is AutoSync.OFF:
            raise ValueError("nothing is dispatched for auto-sync off")
        slot = schedule_slot(frequency, at)
        report = DispatchReport()
        pending: list[SyncJob] = []
        for reseller_id in self._settings.resellers_due(frequency):
            report.resellers += 1
            for customer_id in self._links.auto_sync_customers(reseller_id):
                pending.append(SyncJob(reseller_id=reseller_id, customer_id=customer_id, slot=slot))
                if len(pending) >= JOBS_PER_SEND:
                    report.jobs += self._queue.send(pending)
                    pending = []
        if pending:
            report.jobs += self._queue.send(pending)
        return report
