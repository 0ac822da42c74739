"""The daily drift run's choices (who is checked, once a day, one failure kept to its reseller)
and the dashboard's schedule times, against in-memory fakes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from cbxero.domain.connection import ConnectionStatus
from cbxero.domain.drift import Difference, DriftKind, Repair
from cbxero.domain.errors import InvalidInput
from cbxero.domain.settings import AutoSync, Settings
from cbxero.ports import DriftRecords
from cbxero.services.dashboard import runs
from cbxero.services.drift_report import DriftReader, DriftReport, DriftSweep
from tests.fakes import FakeActionLog, FakeSettings, FixedClock


class Records(DriftRecords):
    def __init__(self) -> None:
        self.counts: dict[str, tuple[dict[str, int], datetime]] = {}

    def ignored(self, reseller_id: str) -> frozenset[str]:
        return frozenset()

    def ignore(self, reseller_id: str, key: str, reason: str, actor: str, at: datetime) -> bool:
        raise AssertionError("the run acknowledges nothing")

    def save_counts(self, reseller_id: str, counts: Mapping[str, int], at: datetime) -> None:
        self.counts[reseller_id] = (dict(counts), at)

    def last_counts(self, reseller_id: str) -> tuple[dict[str, int], datetime] | None:
        return self.counts.get(reseller_id)


class Reader:
    """Reports one voided document for everyone; "broken" fails."""

    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock
        self.asked: list[str] = []

    def report(self, reseller_id: str, start: datetime, end: datetime) -> DriftReport:
        self.asked.append(reseller_id)
        if reseller_id == "broken":
            raise RuntimeError("Xero is down for this one")
        found = Difference(
            key="document_voided:1",
            kind=DriftKind.DOCUMENT_VOIDED,
            message="voided",
            repairs=(Repair.IGNORE, Repair.REMAKE),
        )
        return DriftReport(
            start=start,
            end=end,
            checked_at=self.clock.now(),
            orders=1,
            tasks=1,
            documents=1,
            ignored=0,
            counts={"document_voided": 1},
            differences=[found],
        )


def sweep() -> tuple[DriftSweep, FakeSettings, Records, FakeActionLog, Reader, FixedClock]:
    clock = FixedClock()
    settings, records, log = FakeSettings(), Records(), FakeActionLog()
    for reseller, frequency in [
        ("daily", AutoSync.DAILY),
        ("often", AutoSync.EVERY_5_MINUTES),
        ("off", AutoSync.OFF),
        ("broken", AutoSync.DAILY),
        ("gone", AutoSync.DAILY),
    ]:
        settings.save_if(reseller, Settings(auto_sync=frequency), None)
    settings.set_connection_status("gone", ConnectionStatus.RECONNECT_NEEDED)
    reader = Reader(clock)
    run = DriftSweep(
        reader=cast(DriftReader, reader),
        settings=settings,
        records=records,
        action_log=log,
        clock=clock,
    )
    return run, settings, records, log, reader, clock


def test_each_due_reseller_once_a_day_and_a_failure_stays_its_own() -> None:
    run, _, records, log, reader, clock = sweep()
    failures: list[tuple[str, Any]] = []
    tally = run.run(lambda: 10**9, failed=lambda r, e: failures.append((r, str(e))))
    assert tally == {"checked": 2, "skipped": 1, "failed": 1, "left": 0}
    assert sorted(reader.asked) == ["broken", "daily", "often"]  # not "off", not "gone"
    assert failures == [("broken", "Xero is down for this one")]
    assert records.counts["daily"][0] == {"document_voided": 1}
    assert [(e.reseller_id, e.action, e.actor) for e in log.entries] == [
        ("daily", "drift_found", "scheduler"),
        ("often", "drift_found", "scheduler"),
    ]
    clock.advance(hours=1)
    assert run.run(lambda: 10**9)["checked"] == 0  # not again the same day
    clock.advance(hours=20)
    assert run.run(lambda: 10**9)["checked"] == 2


def test_a_run_out_of_time_leaves_the_rest_for_the_next_hour() -> None:
    run, *_ = sweep()
    assert run.run(lambda: 1_000) == {"checked": 0, "skipped": 1, "failed": 0, "left": 3}


def test_the_schedules_last_and_next_run() -> None:
    at = datetime(2026, 11, 25, 12, 7, 30, tzinfo=UTC)
    assert runs(AutoSync.OFF, at) == (None, None)
    five = datetime(2026, 11, 25, 12, 5, tzinfo=UTC)
    assert runs(AutoSync.EVERY_5_MINUTES, at) == (five, five + timedelta(minutes=5))
    two = datetime(2026, 11, 25, 2, tzinfo=UTC)
    assert runs(AutoSync.DAILY, at) == (two, two + timedelta(days=1))
    early = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    assert runs(AutoSync.DAILY, early) == (two - timedelta(days=1), two)


def test_a_reseller_with_too_many_orders_is_reported_over_a_shorter_period() -> None:
    run, _, records, _, reader, clock = sweep()
    periods: list[timedelta] = []
    report = reader.report

    def busy(reseller_id: str, start: datetime, end: datetime) -> DriftReport:
        periods.append(end - start)
        if end - start > timedelta(days=7):  # as DriftReader refuses more than 2,000 orders
            raise InvalidInput("more than 2000 orders in the period", field="from")
        return report(reseller_id, start, end)

    reader.report = busy  # type: ignore[method-assign]
    run.scheduled("daily")
    assert periods == [timedelta(days=31), timedelta(days=7)]
    assert records.counts["daily"] == ({"document_voided": 1}, clock.now())
