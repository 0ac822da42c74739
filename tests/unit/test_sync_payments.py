"""The payments stage through the real clients and the emulators: a marketplace payment becomes
one Xero payment against the order's invoice, within Xero's rules, exactly once."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest

from cbxero.domain.errors import UpstreamUnavailable
from cbxero.domain.model import ActionLogEntry, LogStatus, TaskStatus
from cbxero.domain.xero import Payment
from local.records import XeroRecords
from local.simpleapi_emulator import fee
from local.world import Repositories, SyncWorld
from tests.fakes import FakeActionLog, FakeLinks, FakeMappings, FakeSettings, FakeTasks

PUSH = {"push_payments": True, "payments_account_code": "090"}


@pytest.fixture
def world() -> SyncWorld:
    built = SyncWorld(
        Repositories(FakeSettings(), FakeLinks(), FakeMappings(), FakeTasks(), FakeActionLog())
    )
    built.configure(new_invoice_status="AUTHORISED", **PUSH)
    built.product("E3", "Microsoft 365 E3", "36.00")
    built.product("TEAMS", "Teams Essentials", "4.00")
    return built


def _paid_order(world: SyncWorld, customer: str, *paid: str) -> dict[str, Any]:
    lines = [fee("E3", 2, "36.00")] + [fee("E3", 1, f"-{p}", type="payment") for p in paid]
    return world.order(customer, lines)


def _entries(world: SyncWorld, order: dict[str, Any]) -> list[ActionLogEntry]:
    """The order's Action Log entries of its sync (not its task's creation)."""
    return [
        e
        for e in world.repos.action_log.for_reseller(world.reseller_id)
        if e.order_id == order["id"] and e.action == "sync_task"
    ]


def test_a_payment_is_made_once_against_the_orders_invoice(world: SyncWorld) -> None:
    customer = world.customer("Krauses Factory", linked=True)
    order = _paid_order(world, customer, "72.00")
    world.sync(customer)
    invoice = world.invoice_for(order)
    (payment,) = world.org.payments.values()
    assert (payment["Invoice"]["InvoiceID"], payment["Amount"], payment["Account"]["Code"]) == (
        invoice["InvoiceID"],
        72.0,
        "090",
    )
    assert payment["Reference"] == f"{order['orderNumber']} payment 1"
    assert payment["Date"] == invoice["Date"]  # the order's (the payment's) date
    assert (invoice["Status"], invoice["AmountDue"]) == ("PAID", 0.0)
    task = world.task(order)
    assert task.status is TaskStatus.SYNCED
    assert task.note == f"payment of 72.00 recorded in Xero ({order['orderNumber']} payment 1)"
    (entry,) = _entries(world, order)
    assert entry.status is LogStatus.SUCCESS and "payment of 72.00 recorded" in entry.message
    assert [(p.amount, p.payment_id) for p in task.payments] == [
        (Decimal("72.00"), payment["PaymentID"])
    ]
    world.repos.tasks.replace(
        task.model_copy(update={"status": TaskStatus.NEW}), previous=task
    )  # synced again (by hand, say): the ledger holds it
    world.sync(customer)
    assert len(world.org.payments) == 1


def test_off_by_default_nothing_is_paid(world: SyncWorld) -> None:
    world.configure(new_invoice_status="AUTHORISED")
    customer = world.customer("Krauses Factory", linked=True)
    order = _paid_order(world, customer, "72.00")
    world.sync(customer)
    assert world.org.payments == {}
    assert world.task(order).status is TaskStatus.SYNCED


def test_a_draft_invoice_waits_and_is_paid_once_approved(world: SyncWorld) -> None:
    world.configure(**PUSH)  # new invoices are drafts
    customer = world.customer("Krauses Factory", linked=True)
    order = _paid_order(world, customer, "30.00")
    world.sync(customer)
    task = world.task(order)
    assert task.status is TaskStatus.ACTION_REQUIRED and task.payments_waiting
    assert task.reason == (
        "the invoice is draft in Xero; approve it to record the marketplace's payment of 30.00"
    )
    assert world.org.payments == {}
    world.invoice_for(order)["Status"] = "AUTHORISED"  # the reseller approves it in Xero
    world.clock.advance(hours=2)
    world.sync(customer)
    task = world.task(order)
    assert task.status is TaskStatus.SYNCED and not task.payments_waiting
    assert [p["Amount"] for p in world.org.payments.values()] == [30.0]
    assert world.invoice_for(order)["AmountDue"] == 42.0
    assert len(world.invoices()) == 1  # the invoice was found again, not made again


def test_more_than_the_invoice_owes_is_capped_and_said(world: SyncWorld) -> None:
    customer = world.customer("Krauses Factory", linked=True)
    order = _paid_order(world, customer, "50.00", "40.00")
    world.sync(customer)
    assert sorted(p["Amount"] for p in world.org.payments.values()) == [22.0, 50.0]
    task = world.task(order)
    assert task.status is TaskStatus.SYNCED
    assert "18.00 of the marketplace's payments is not recorded in Xero" in (task.note or "")
    (entry,) = _entries(world, order)
    assert entry.status is LogStatus.ACTION_REQUIRED  # the overpayment is the reseller's to see to


def test_two_orders_on_one_invoice_never_plan_more_than_it_owes(world: SyncWorld) -> None:
    world.configure(new_invoice_status="AUTHORISED", invoice_target="existing", **PUSH)
    customer = world.customer("Krauses Factory", linked=True)
    first = _paid_order(world, customer, "72.00")
    second = _paid_order(world, customer, "100.00")
    world.sync(customer)
    (invoice,) = world.invoices()  # both orders' lines on one invoice of 144
    assert sorted(p["Amount"] for p in world.org.payments.values()) == [72.0, 72.0]
    assert (invoice["Status"], invoice["AmountPaid"]) == ("PAID", 144.0)
    assert world.task(first).status is world.task(second).status is TaskStatus.SYNCED
    assert "28.00 of the marketplace's payments is not recorded" in (world.task(second).note or "")


def test_a_credit_applied_in_the_same_run_is_seen_before_paying(world: SyncWorld) -> None:
    customer = world.customer("Krauses Factory", linked=True)
    lines = [
        fee("E3", 2, "36.00"),
        fee("TEAMS", -1, "4.00", type="downgrade"),
        fee("E3", 1, "-72.00", type="payment"),
    ]
    order = world.order(customer, lines, order_type="change")
    world.sync(customer)
    invoice = world.invoice_for(order)
    assert (invoice["AmountCredited"], invoice["AmountPaid"], invoice["Status"]) == (
        4.0,
        68.0,
        "PAID",
    )
    task = world.task(order)
    assert task.status is TaskStatus.SYNCED
    assert "4.00 of the marketplace's payments is not recorded" in (task.note or "")


def test_a_bank_account_that_is_not_one_makes_payments_wait(world: SyncWorld) -> None:
    world.configure(
        new_invoice_status="AUTHORISED", push_payments=True, payments_account_code="200"
    )
    customer = world.customer("Krauses Factory", linked=True)
    order = _paid_order(world, customer, "10.00")
    world.sync(customer)
    task = world.task(order)
    assert task.status is TaskStatus.ACTION_REQUIRED
    assert "Xero account 200 is not an active bank account" in (task.reason or "")
    assert world.org.payments == {}


def test_a_lost_answer_is_found_by_reference_not_paid_again(
    world: SyncWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer = world.customer("Krauses Factory", linked=True)
    order = _paid_order(world, customer, "72.00")
    real_client = world.client

    def lossy_client() -> XeroRecords:
        made = real_client()
        real = made.create_payments

        def commit_then_lose(payments: Sequence[Payment], key: str) -> list[Payment]:
            real(payments, key)  # Xero commits ...
            raise UpstreamUnavailable("the answer was lost")  # ... and the answer is lost

        monkeypatch.setattr(made, "create_payments", commit_then_lose)
        return made

    monkeypatch.setattr(world, "client", lossy_client)
    world.sync(customer)
    assert len(world.org.payments) == 1
    task = world.task(order)
    assert task.status is TaskStatus.FAILED
    assert [p.payment_id for p in task.payments] == [None]  # sent, its answer unknown
    monkeypatch.setattr(world, "client", real_client)
    world.clock.advance(hours=7)
    world.sync(customer)
    (payment,) = world.org.payments.values()
    task = world.task(order)
    assert task.status is TaskStatus.SYNCED
    assert [p.payment_id for p in task.payments] == [payment["PaymentID"]]
