"""The dashboard: the connection, today's Xero budget, tasks by status and type, the last and
next scheduled run, the oldest waiting task and the drift last found. Reads only: every figure
comes from a record kept for it (the status index, the governor's day counter, the drift run's
counts), never from reading the tasks out."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict

from cbxero.domain.connection import ConnectionStatus
from cbxero.domain.model import TaskStatus
from cbxero.domain.settings import AutoSync
from cbxero.ports import (
    Clock,
    ConnectionRepository,
    DriftRecords,
    RateGovernor,
    SettingsRepository,
    TaskFigures,
)
from cbxero.services.budget import BudgetView
from cbxero.services.history import HistoryDesk, HistoryView

DAILY_AT = 2  # the dispatcher's daily schedule: cron(0 2 * * ? *), UTC


class DashboardConnection(BaseModel):
    """The dashboard's summary of the connection (GET /xero/connection has the whole view)."""

    model_config = ConfigDict(frozen=True)

    status: str
    organisation: str | None = None
    connected_since: AwareDatetime | None = None


class OldestWaiting(BaseModel):
    model_config = ConfigDict(frozen=True)

    task_id: str
    order_number: str
    status: str
    created_at: AwareDatetime
    reason: str | None = None


class DriftSeen(BaseModel):
    model_config = ConfigDict(frozen=True)

    checked_at: AwareDatetime
    total: int
    counts: dict[str, int]


class Dashboard(BaseModel):
    model_config = ConfigDict(frozen=True)

    connection: DashboardConnection
    budget_today: BudgetView | None
    tasks_total: int
    tasks_by_status: dict[str, int]
    tasks_by_type: dict[str, int]
    auto_sync: str
    last_run: AwareDatetime | None
    next_run: AwareDatetime | None
    oldest_waiting: OldestWaiting | None
    drift: DriftSeen | None
    history: HistoryView | None = None  # where history starts, the back-fill's progress


def runs(frequency: AutoSync, now: datetime) -> tuple[datetime | None, datetime | None]:
    """The schedule's last and next run for this auto-sync frequency (None when it is off)."""
    if frequency is AutoSync.OFF:
        return None, None
    if frequency is AutoSync.EVERY_5_MINUTES:
        last = now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)
        return last, last + timedelta(minutes=5)
    last = now.replace(hour=DAILY_AT, minute=0, second=0, microsecond=0)
    if last > now:
        last -= timedelta(days=1)
    return last, last + timedelta(days=1)


class DashboardDesk:
    def __init__(
        self,
        *,
        settings: SettingsRepository,
        connections: ConnectionRepository,
        governor: RateGovernor,
        figures: TaskFigures,
        drift: DriftRecords,
        clock: Clock,
        history: HistoryDesk | None = None,
    ) -> None:
        self._settings = settings
        self._connections = connections
        self._governor = governor
        self._figures = figures
        self._drift = drift
        self._clock = clock
        self._history = history

    def view(self, reseller_id: str) -> Dashboard:
        now = self._clock.now()
        connection = self._connections.get(reseller_id)
        tenant = connection.tenant if connection else None
        budget = self._governor.budget(tenant.tenant_id) if tenant else None
        by_status: dict[str, int] = {}
        by_type: dict[str, int] = {}
        for status, types in self._figures.by_status_and_type(reseller_id).items():
            by_status[status] = sum(types.values())
            for order_type, n in types.items():
                by_type[order_type] = by_type.get(order_type, 0) + n
        frequency = self._settings.get(reseller_id).auto_sync
        last, following = runs(frequency, now)
        oldest = self._figures.oldest_waiting(reseller_id)
        seen = self._drift.last_counts(reseller_id)
        return Dashboard(
            connection=DashboardConnection(
                status=(connection.status if connection else ConnectionStatus.NOT_CONNECTED).value,
                organisation=tenant.name if tenant else None,
                connected_since=connection.connected_since if connection else None,
            ),
            budget_today=BudgetView.of(budget),
            tasks_total=sum(by_status.values()),
            tasks_by_status=by_status,
            tasks_by_type=dict(sorted(by_type.items())),
            auto_sync=frequency.value,
            last_run=last,
            next_run=following,
            oldest_waiting=OldestWaiting(
                task_id=oldest.task_id,
                order_number=oldest.order_number,
                status=oldest.status.value,
                created_at=oldest.created_at,
                reason=oldest.reason,
            )
            if oldest
            else None,
            drift=DriftSeen(checked_at=seen[1], total=sum(seen[0].values()), counts=seen[0])
            if seen
            else None,
            # From the counts and the budget read above: the index and the governor once each.
            history=self._history.progress(
                reseller_id, {TaskStatus(s): n for s, n in by_status.items()}, budget
            )
            if self._history
            else None,
        )
