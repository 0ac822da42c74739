"""A worker keeps the organisation's accounts and currencies a few minutes between runs, so a
backlog reads them once every few minutes instead of once per batch; a save still reads afresh."""

from __future__ import annotations

from local.world import Repositories, SyncWorld
from tests.fakes import FakeActionLog, FakeLinks, FakeMappings, FakeSettings, FakeTasks

ACCOUNTS = ("GET", "/api.xro/2.0/Accounts")
CURRENCIES = ("GET", "/api.xro/2.0/Currencies")
ITEMS = ("GET", "/api.xro/2.0/Items")


def world() -> SyncWorld:
    built = SyncWorld(
        Repositories(FakeSettings(), FakeLinks(), FakeMappings(), FakeTasks(), FakeActionLog())
    )
    built.configure()
    built.product("E3", "Microsoft 365 E3", "36.00")
    return built


def run_an_order(w: SyncWorld, name: str) -> None:
    customer = w.customer(name, linked=True)
    w.order(customer, [("E3", 1, "36.00")])
    w.sync(customer)


def test_runs_within_five_minutes_read_the_lists_once_and_items_every_time() -> None:
    w = world()
    for n in range(3):
        run_an_order(w, f"Customer {n}")
        w.clock.advance(minutes=1)
    assert (w.xero.calls.count(ACCOUNTS), w.xero.calls.count(CURRENCIES)) == (1, 1)
    assert w.xero.calls.count(ITEMS) == 3  # prices change: read for every run

    w.clock.advance(minutes=5)
    run_an_order(w, "Customer later")
    assert (w.xero.calls.count(ACCOUNTS), w.xero.calls.count(CURRENCIES)) == (2, 2)


def test_an_account_archived_within_the_five_minutes_is_refused_by_xero_then_caught() -> None:
    w = world()
    run_an_order(w, "First Ltd")
    sales = next(a for a in w.org.chart["Accounts"] if a["Code"] == "200")
    sales["Status"] = "ARCHIVED"
    customer = w.customer("Second Ltd", linked=True)
    order = w.order(customer, [("E3", 1, "36.00")])
    w.sync(customer)
    task = w.task(order)
    assert task.status.value == "action_required"  # Xero's own refusal, nothing written
    assert task.reason == (
        "Xero refused the invoice: Account code '200' is not a valid code for this document."
    )
    assert len(w.invoices()) == 1  # the first order's only
    w.clock.advance(hours=2)  # a waiting task is looked at again; the lists are read anew
    w.sync(customer)
    task = w.task(order)
    assert task.status.value == "action_required"
    assert (task.reason or "").startswith("choose a sales account: invoice line 1")
