"""The history desk against fakes: an earlier start clears the cursors past it and queues a look
per customer (processing only auto-sync ones), a later one changes no cursor; the view counts
tasks and estimates only with a connected organisation's budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from cbxero.domain.errors import InvalidInput
from cbxero.domain.marketplace import MarketplaceCustomer, MarketplaceOrder, Money, OrderType
from cbxero.domain.model import CustomerLink, SyncTask, TaskStatus
from cbxero.ports import Budget
from cbxero.services.history import HistoryDesk
from tests.fakes import (
    FakeActionLog,
    FakeHistory,
    FakeLinks,
    FakeMarketplace,
    FakeQueue,
    FakeTaskFigures,
    FakeTasks,
    FixedClock,
)

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
R = "reseller-1"
PLENTY = Budget(5000, 100)


def _desk(
    budget: Budget | None = PLENTY,
) -> tuple[HistoryDesk, FakeLinks, FakeQueue, FakeTasks]:
    links, queue, tasks, market = FakeLinks(), FakeQueue(), FakeTasks(), FakeMarketplace()
    for n, (cursor_days, auto) in enumerate([(1, True), (250, False), (None, True)]):
        customer = f"c{n}"
        market.customers_by_id[customer] = MarketplaceCustomer(id=customer, name=customer)
        market.reseller_of[customer] = R
        links.save(
            CustomerLink(
                reseller_id=R,
                customer_id=customer,
                auto_sync=auto,
                orders_synced_until=NOW - timedelta(days=cursor_days) if cursor_days else None,
            )
        )
    desk = HistoryDesk(
        history=FakeHistory(),
        links=links,
        figures=FakeTaskFigures(tasks),
        marketplace=market,
        queue=queue,
        action_log=FakeActionLog(),
        budget=lambda _reseller: budget,
        clock=FixedClock(NOW),
    )
    return desk, links, queue, tasks


def _cursors(links: FakeLinks) -> dict[str, datetime | None]:
    return {link.customer_id: link.orders_synced_until for link in links.for_reseller(R)}


def test_an_earlier_start_clears_cursors_past_it_and_queues_a_look_per_customer() -> None:
    desk, links, queue, _ = _desk()
    chosen = desk.choose(R, "2026-06-01", "jane")
    assert chosen.customers_reread == 1  # c0 had read past June; c1 is before it; c2 never read
    assert _cursors(links) == {"c0": None, "c1": NOW - timedelta(days=250), "c2": None}
    assert [(j.customer_id, j.process, j.check) for j in queue.jobs] == [
        ("c0", True, True),
        ("c1", False, True),
        ("c2", True, True),
    ]
    assert chosen.chosen_by == "jane" and chosen.start == datetime(2026, 6, 1, tzinfo=UTC)


def test_a_later_start_changes_no_cursor_and_queues_nothing() -> None:
    desk, links, queue, _ = _desk()
    desk.choose(R, "2026-06-01", "jane")
    queue.jobs.clear()
    before = _cursors(links)
    later = desk.choose(R, "2026-11-20T00:00:00+01:00", "jane")
    assert later.customers_reread == later.jobs_queued == 0
    assert _cursors(links) == before and queue.jobs == []


def test_a_refused_start_writes_nothing() -> None:
    desk, links, queue, _ = _desk()
    before = _cursors(links)
    with pytest.raises(InvalidInput) as refused:
        desk.choose(R, "2026-11-27T09:00:00", "jane")
    assert refused.value.field == "from"
    assert _cursors(links) == before and queue.jobs == []
    assert desk.view(R).chosen is False


def test_the_view_counts_tasks_and_estimates_from_the_budget() -> None:
    desk, _, _, tasks = _desk(Budget(5000, 4990))
    for n in range(510):
        order = MarketplaceOrder(
            id=str(1000 + n),
            order_number=f"SO{n}",
            type=OrderType.SALES,
            status="completed",
            customer_id="c0",
            created_at=NOW - timedelta(days=40),
            total=Money(amount=Decimal(1), currency="USD"),
        )
        task = SyncTask.from_order(R, order, NOW)
        tasks.add_many_if_absent([task])
    view = desk.view(R)
    assert view.waiting == 510 and view.done == 0 and view.by_status[TaskStatus.NEW] == 510
    assert view.start == NOW - timedelta(days=30) and view.chosen is False
    assert view.budget is not None and view.budget.left == 10
    assert view.estimate is not None and view.estimate.calls == 11 + 6
    assert not view.estimate.fits_today  # 10 calls left today for 17


def test_no_organisation_no_estimate() -> None:
    desk, _, _, _ = _desk(None)
    view = desk.view(R)
    assert view.budget is None and view.estimate is None
