"""History in the sync: the first look starts at the reseller's chosen start (one month back
when none), and every active subscription's open billing becomes a task however old it is."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from cbxero.domain.history import HistoryStart
from cbxero.domain.marketplace import MarketplaceOrder
from local.world import Repositories, SyncWorld
from tests.fakes import (
    FakeActionLog,
    FakeHistory,
    FakeLinks,
    FakeMappings,
    FakeSettings,
    FakeTasks,
)


@pytest.fixture
def world() -> SyncWorld:
    built = SyncWorld(
        Repositories(FakeSettings(), FakeLinks(), FakeMappings(), FakeTasks(), FakeActionLog()),
        history=FakeHistory(),
    )
    built.configure()
    built.product("E3", "Microsoft 365 E3", "36.00")
    return built


def _task_ids(world: SyncWorld) -> set[str]:
    return {task.order_id for task in world.repos.tasks.for_reseller(world.reseller_id)}


def _choose(world: SyncWorld, days_back: int) -> None:
    assert isinstance(world.history, FakeHistory)
    now = world.clock.now()
    world.history.save(
        world.reseller_id,
        HistoryStart(start=now - timedelta(days=days_back), chosen_at=now, chosen_by="test"),
    )


def test_without_a_chosen_start_the_first_look_is_one_month_back(world: SyncWorld) -> None:
    customer = world.customer("Krauses Factory", linked=True)
    now = world.clock.now()
    recent = world.order(customer, [("E3", 1, "36.00")], created=now - timedelta(days=29))
    old = world.order(customer, [("E3", 1, "36.00")], created=now - timedelta(days=31))
    world.engine.check_changes(world.job(customer))
    assert _task_ids(world) == {recent["id"]}
    assert old["id"] not in _task_ids(world)


def test_a_chosen_start_reads_from_there(world: SyncWorld) -> None:
    customer = world.customer("Krauses Factory", linked=True)
    now = world.clock.now()
    orders = [
        world.order(customer, [("E3", 1, "36.00")], created=now - timedelta(days=d))
        for d in (10, 100, 200, 400)
    ]
    _choose(world, 300)
    world.engine.check_changes(world.job(customer))
    assert _task_ids(world) == {orders[0]["id"], orders[1]["id"], orders[2]["id"]}


def test_every_active_subscription_gets_its_open_billing(world: SyncWorld) -> None:
    customer = world.customer("Krauses Factory", linked=True)
    now = world.clock.now()
    active = world.market.add_subscription(customer, "E3", created=date(2025, 1, 1))
    held = world.market.add_subscription(customer, "E3", status="hold")
    # The active one: sold 200 days ago, renewed 90 days ago (its open billing), both older
    # than the default month; a cancelled renewal after that is not a charge.
    sold = world.order(
        customer,
        [("E3", 1, "36.00")],
        created=now - timedelta(days=200),
        subscription_id=active["id"],
    )
    renewed = world.order(
        customer,
        [("E3", 1, "36.00")],
        order_type="renewal",
        created=now - timedelta(days=90),
        subscription_id=active["id"],
    )
    world.order(
        customer,
        [("E3", 1, "36.00")],
        order_type="renewal",
        status="cancelled",
        created=now - timedelta(days=60),
        subscription_id=active["id"],
    )
    on_hold = world.order(
        customer,
        [("E3", 1, "36.00")],
        created=now - timedelta(days=50),
        subscription_id=held["id"],
    )
    outcome = world.engine.check_changes(world.job(customer))
    assert _task_ids(world) == {renewed["id"]}
    assert outcome.tasks_created == 1
    assert sold["id"] not in _task_ids(world) and on_hold["id"] not in _task_ids(world)
    # The cursor starts at the start, not at the old renewal: nothing between is read later.
    link = world.repos.links.get(world.reseller_id, customer)
    assert link is not None and link.orders_synced_until == now - timedelta(days=30)
    # A second look reads no subscription again and makes nothing twice.
    looked: list[str] = []
    reader = world.marketplace.open_billing

    def counted(customer_id: str) -> list[MarketplaceOrder]:
        looked.append(customer_id)
        return reader(customer_id)

    world.marketplace.open_billing = counted  # type: ignore[method-assign]
    world.engine.check_changes(world.job(customer))
    assert _task_ids(world) == {renewed["id"]}
    assert looked == []


def test_open_billing_inside_the_window_is_one_task_not_two(world: SyncWorld) -> None:
    customer = world.customer("Krauses Factory", linked=True)
    active = world.market.add_subscription(customer, "E3")
    order = world.order(customer, [("E3", 2, "36.00")], subscription_id=active["id"])
    outcome = world.engine.check_changes(world.job(customer))
    assert outcome.tasks_created == 1
    assert _task_ids(world) == {order["id"]}


def test_the_open_billing_task_syncs_like_any_other(world: SyncWorld) -> None:
    customer = world.customer("Krauses Factory", linked=True)
    active = world.market.add_subscription(customer, "E3")
    order = world.order(
        customer,
        [("E3", 3, "36.00")],
        order_type="renewal",
        created=world.clock.now() - timedelta(days=80),
        subscription_id=active["id"],
    )
    world.sync(customer)
    assert world.task(order).status == "synced"
    assert world.invoice_for(order)["Total"] == 108
