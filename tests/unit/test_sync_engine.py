"""Every setting and every order type, each checked against the exact document in emulated Xero.

The real Xero and SimpleAPI clients talk to the emulators in-process; repositories are fakes.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from cbxero.domain.documents import order_of, reference_entries
from cbxero.domain.model import LineEdit, LogStatus, TargetChoice, TaskStatus
from cbxero.domain.settings import Settings
from cbxero.domain.xero import LineItem
from local.simpleapi_emulator import fee
from local.world import Repositories, SyncWorld, lines_of
from tests.fakes import FakeActionLog, FakeLinks, FakeMappings, FakeSettings, FakeTasks


@pytest.fixture
def world() -> SyncWorld:
    built = SyncWorld(
        Repositories(FakeSettings(), FakeLinks(), FakeMappings(), FakeTasks(), FakeActionLog())
    )
    built.configure()
    built.product("E3", "Microsoft 365 E3", "36.00", item_price="40.1234")
    built.product("TEAMS", "Teams Essentials", "4.00", item_price="5.00")
    return built


def linked(world: SyncWorld, name: str = "Krauses Factory") -> str:
    return world.customer(name, linked=True)


# ---------------------------------------------------------------------- price and description
def test_marketplace_prices_and_descriptions(world: SyncWorld) -> None:
    customer = linked(world)
    order = world.order(customer, [("E3", 3, "36.00"), ("TEAMS", 2, "4.00")])
    world.sync(customer)
    invoice = world.invoice_for(order)
    assert lines_of(invoice) == [
        ("X-E3", "Microsoft 365 E3 - recurring fee", 3.0, 36.0, 108.0),
        ("X-TEAMS", "Teams Essentials - recurring fee", 2.0, 4.0, 8.0),
    ]
    assert (invoice["SubTotal"], invoice["Reference"], invoice["Type"]) == (
        116.0,
        "SO" + order["id"][-6:],
        "ACCREC",
    )
    assert invoice["InvoiceNumber"] == "INV-0001"  # Xero numbers it by default
    task = world.task(order)
    assert task.status is TaskStatus.SYNCED
    assert task.document is not None
    assert (task.document.number, task.document.link) == (
        "INV-0001",
        f"https://go.xero.com/app/invoicing/view/{invoice['InvoiceID']}",
    )


def test_xero_prices_and_descriptions(world: SyncWorld) -> None:
    world.configure(price_source="xero", description_source="xero")
    customer = linked(world)
    order = world.order(customer, [("E3", 2, "36.00")])
    world.sync(customer)
    assert lines_of(world.invoice_for(order)) == [
        ("X-E3", "Microsoft 365 E3 as Xero describes it", 2.0, 40.1234, 80.25),
    ]
    assert world.task(order).status is TaskStatus.SYNCED  # held to its own lines, not the order


def test_trimmed_descriptions_carry_the_product_name_only(world: SyncWorld) -> None:
    world.configure(trim_descriptions=True)
    customer = linked(world)
    order = world.order(customer, [("E3", 1, "36.00")])
    world.sync(customer)
    assert [line[1] for line in lines_of(world.invoice_for(order))] == ["Microsoft 365 E3"]


def test_accounting_defaults_and_item_accounts(world: SyncWorld) -> None:
    world.configure(
        sales_account_code="260",
        tax_type="OUTPUT",
        new_invoice_status="AUTHORISED",
        due_date_terms={"rule": "DAYSAFTERBILLDATE", "days": 30},
    )
    world.product("AZ", "Azure plan", "10.00", account_code="210", tax_type="NONE")
    customer = linked(world)
    order = world.order(customer, [("E3", 1, "36.00"), ("AZ", 1, "10.00")])
    world.sync(customer)
    invoice = world.invoice_for(order)
    assert [(line["AccountCode"], line["TaxType"]) for line in invoice["LineItems"]] == [
        ("260", "OUTPUT"),
        ("210", "NONE"),
    ]
    assert (invoice["Status"], invoice["DueDateString"][:10]) == ("AUTHORISED", "2026-12-25")
    assert (invoice["SubTotal"], invoice["TotalTax"]) == (46.0, 5.4)


def test_tax_inclusive_prices_are_checked_against_the_total(world: SyncWorld) -> None:
    world.configure(line_amount_types="Inclusive", tax_type="OUTPUT")
    customer = linked(world)
    order = world.order(customer, [("E3", 1, "36.00")])
    world.sync(customer)
    invoice = world.invoice_for(order)
    assert (invoice["Total"], invoice["SubTotal"], invoice["TotalTax"]) == (36.0, 31.3, 4.7)
    assert world.task(order).status is TaskStatus.SYNCED


def test_four_decimal_unit_prices_and_discounts_are_exact(world: SyncWorld) -> None:
    customer = linked(world)
    order = world.order(
        customer,
        [fee("E3", 3, "12.3456", discount="1.04"), fee("TEAMS", 1, "-2.00", type="discount")],
    )
    world.sync(customer)
    invoice = world.invoice_for(order)
    assert lines_of(invoice) == [
        ("X-E3", "Microsoft 365 E3 - recurring fee", 3.0, 12.3456, 36.0),
        ("X-TEAMS", "Teams Essentials - discount fee", 1.0, -2.0, -2.0),
    ]
    assert invoice["LineItems"][0]["DiscountAmount"] == 1.04
    assert Decimal(order["total"]["amount"]) == Decimal("33.9968")  # Xero: 34.00 to the cent
    assert world.task(order).status is TaskStatus.SYNCED


# ---------------------------------------------------------------------- invoice numbers
def test_marketplace_numbering(world: SyncWorld) -> None:
    world.configure(invoice_number_source="marketplace")
    customer = linked(world)
    order = world.order(customer, [("E3", 1, "36.00")])
    world.sync(customer)
    invoice = world.invoice_for(order)
    assert invoice["InvoiceNumber"] == invoice["Reference"] == order["orderNumber"]


def test_a_number_taken_by_someone_else_needs_action(world: SyncWorld) -> None:
    world.configure(invoice_number_source="marketplace")
    customer = linked(world)
    order = world.order(customer, [("E3", 1, "36.00")])
    contact = next(iter(world.org.contacts))
    world.org.invoices["theirs"] = {
        "InvoiceID": "theirs",
        "InvoiceNumber": order["orderNumber"],
        "Reference": "typed by hand",
        "Type": "ACCREC",
        "Status": "DRAFT",
        "Contact": {"ContactID": contact},
        "LineItems": [],
        "Date": "/Date(1764028800000+0000)/",
    }
    world.sync(customer)
    task = world.task(order)
    assert task.status is TaskStatus.ACTION_REQUIRED
    assert f"invoice number {order['orderNumber']} is already used" in (task.reason or "")
    assert len(world.invoices()) == 1


def test_a_number_taken_by_our_own_earlier_attempt_is_already_synced(world: SyncWorld) -> None:
    world.configure(invoice_number_source="marketplace")
    customer = linked(world)
    order = world.order(customer, [("E3", 1, "36.00")])
    world.sync(customer)
    (made,) = world.invoices()
    # The same order seen as new again (say its task was lost): Xero refuses the number,
    # the invoice holding it carries the order's reference, so it is ours.
    world.repos.tasks.tasks.clear()  # type: ignore[attr-defined]
    link = world.repos.links.get(world.reseller_id, customer)
    assert link is not None
    world.repos.links.save(link.model_copy(update={"orders_synced_until": None}))
    world.sync(customer)
    task = world.task(order)
    assert task.status is TaskStatus.SYNCED
    assert task.document is not None and task.document.id == made["InvoiceID"]
    assert len(world.invoices()) == 1


# ---------------------------------------------------------------------- contacts
def test_contact_made_from_a_complete_profile_and_linked(world: SyncWorld) -> None:
    customer = world.customer("Nordwind GmbH", tax_reg_id="DE123")
    order = world.order(customer, [("TEAMS", 1, "4.00")])
    world.sync(customer)
    (contact,) = world.org.contacts.values()
    assert (contact["ContactNumber"], contact["Name"], contact["TaxNumber"]) == (
        customer,
        "Nordwind GmbH",
        "DE123",
    )
    assert world.invoice_for(order)["Contact"]["ContactID"] == contact["ContactID"]
    link = world.repos.links.get(world.reseller_id, customer)
    assert link is not None and link.xero_contact_id == contact["ContactID"]


@pytest.mark.parametrize(("field", "value"), [("TaxNumber", "DE999"), ("ContactNumber", "own-id")])
def test_an_existing_contact_is_matched_on_a_strong_identity(
    world: SyncWorld, field: str, value: str
) -> None:
    customer = world.customer("Nordwind GmbH", tax_reg_id="DE999")
    value = customer if value == "own-id" else value
    world.org.contacts["c-1"] = {"ContactID": "c-1", "Name": "Someone", field: value}
    order = world.order(customer, [("TEAMS", 1, "4.00")])
    world.sync(customer)
    assert list(world.org.contacts) == ["c-1"]
    assert world.invoice_for(order)["Contact"]["ContactID"] == "c-1"


@pytest.mark.parametrize(
    ("field", "value"), [("EmailAddress", "billing@nordwind.example"), ("Name", "Nordwind GmbH")]
)
def test_an_email_or_name_match_is_a_suggestion_to_confirm(
    world: SyncWorld, field: str, value: str
) -> None:
    world.org.contacts["c-1"] = {"ContactID": "c-1", "Name": "Someone", field: value}
    customer = world.customer("Nordwind GmbH", email="billing@nordwind.example")
    order = world.order(customer, [("TEAMS", 1, "4.00")])
    world.sync(customer)
    task = world.task(order)
    assert task.status is TaskStatus.ACTION_REQUIRED
    assert (task.reason or "").startswith("confirm or create the contact")
    assert list(world.org.contacts) == ["c-1"]
    assert world.invoices() == []


def test_an_incomplete_profile_without_a_match_needs_action(world: SyncWorld) -> None:
    customer = world.customer("No Mail Ltd", email=None, country=None)
    order = world.order(customer, [("TEAMS", 1, "4.00")])
    world.sync(customer)
    task = world.task(order)
    assert task.status is TaskStatus.ACTION_REQUIRED
    assert "not mapped to a Xero contact" in (task.reason or "")
    assert world.invoices() == []


# ---------------------------------------------------------------------- mappings
def test_an_unmapped_product_needs_action_naming_it(world: SyncWorld) -> None:
    world.market.add_product("NEW-SKU", "Brand new", "9.00")
    customer = linked(world)
    order = world.order(customer, [("NEW-SKU", 1, "9.00"), ("E3", 1, "36.00")])
    world.sync(customer)
    task = world.task(order)
    assert (task.status, task.reason) == (
        TaskStatus.ACTION_REQUIRED,
        "no Xero item mapped for product(s): NEW-SKU",
    )
    assert world.invoices() == []
    world.item_for("NEW-SKU", "Brand new", item_price="9.00")
    world.clock.advance(hours=1, seconds=1)  # waiting tasks are looked at again hourly
    world.sync(customer)
    assert world.task(order).status is TaskStatus.SYNCED


def test_many_products_onto_one_item_when_allowed(world: SyncWorld) -> None:
    world.configure(allow_many_products_per_item=True)
    world.market.add_product("E3-ANNUAL", "Microsoft 365 E3 (annual)", "30.00")
    from cbxero.domain.model import ProductMapping

    world.repos.mappings.save(
        ProductMapping(
            reseller_id=world.reseller_id,
            mpn="E3-ANNUAL",
            product_name="Microsoft 365 E3 (annual)",
            xero_item_code="X-E3",
        )
    )
    customer = linked(world)
    order = world.order(customer, [("E3", 1, "36.00"), ("E3-ANNUAL", 1, "30.00")])
    world.sync(customer)
    assert [line[0] for line in lines_of(world.invoice_for(order))] == ["X-E3", "X-E3"]


# ---------------------------------------------------------------------- invoice target
def test_new_invoices_are_batched_across_customers(world: SyncWorld) -> None:
    customers = [linked(world, f"Customer {n}") for n in range(6)]
    for customer in customers:
        for _ in range(10):
            world.order(customer, [("TEAMS", 1, "4.00")])
    world.sync(*customers)
    puts = [call for call in world.xero.calls if call == ("PUT", "/api.xro/2.0/Invoices")]
    assert (len(world.invoices()), len(puts)) == (60, 2)  # 50 + 10
    # And one read each of the items, the accounts, the six linked contacts (batched) and the
    # currencies: the guard's reads, the items shared with the plan.
    assert world.accounting_calls() == 6
    assert world.xero.calls.count(("GET", "/api.xro/2.0/Items")) == 1


def test_existing_target_adds_lines_to_the_latest_editable_invoice(world: SyncWorld) -> None:
    world.configure(invoice_target="existing")
    customer = linked(world)
    first = world.order(customer, [("E3", 1, "36.00")])
    world.sync(customer)
    kept = world.invoice_for(first)["LineItems"][0]["LineItemID"]
    world.clock.advance(minutes=5)
    second = world.order(customer, [("TEAMS", 2, "4.00")])
    world.sync(customer)
    (invoice,) = world.invoices()
    assert invoice["Reference"] == f"{first['orderNumber']}, {second['orderNumber']}"
    assert invoice["LineItems"][0]["LineItemID"] == kept  # Xero keeps the lines sent with ids
    assert world.task(second).line_item_ids == (invoice["LineItems"][1]["LineItemID"],)
    assert [line[:3] for line in lines_of(invoice)] == [  # each line marked with its order
        ("X-E3", f"Microsoft 365 E3 - recurring fee (order {first['orderNumber']})", 1.0),
        ("X-TEAMS", f"Teams Essentials - recurring fee (order {second['orderNumber']})", 2.0),
    ]
    assert invoice["SubTotal"] == 44.0
    assert world.task(second).status is TaskStatus.SYNCED  # its own 8.00 checked
    first_doc, second_doc = world.task(first).document, world.task(second).document
    assert first_doc is not None and second_doc is not None
    assert second_doc.id == first_doc.id


def test_existing_target_starts_a_new_invoice_when_the_latest_is_paid(world: SyncWorld) -> None:
    world.configure(invoice_target="existing", new_invoice_status="AUTHORISED")
    customer = linked(world)
    first = world.order(customer, [("E3", 1, "36.00")])
    world.sync(customer)
    world.invoice_for(first).update(AmountPaid=36.0, AmountDue=0.0, Status="PAID")
    second = world.order(customer, [("TEAMS", 1, "4.00")])
    world.clock.advance(minutes=5)
    world.sync(customer)
    assert len(world.invoices()) == 2
    assert world.invoice_for(second)["Reference"] == second["orderNumber"]


def test_existing_target_keeps_currencies_apart(world: SyncWorld) -> None:
    world.configure(invoice_target="existing")
    customer = linked(world)
    world.order(customer, [("E3", 1, "36.00")])
    world.sync(customer)
    euro = world.order(customer, [("TEAMS", 1, "4.00")], currency="EUR")
    world.clock.advance(minutes=5)
    world.sync(customer)
    assert world.invoice_for(euro)["CurrencyCode"] == "EUR"
    assert len(world.invoices()) == 2


def test_a_currency_the_organisation_lacks_needs_action(world: SyncWorld) -> None:
    customer = linked(world)
    order = world.order(customer, [("E3", 1, "36.00")], currency="JPY")
    world.sync(customer)
    task = world.task(order)
    assert task.status is TaskStatus.ACTION_REQUIRED
    # Checked before sending (GET /Currencies), not learnt from Xero's refusal of the invoice.
    assert task.reason == "JPY is not enabled in Demo Reseller Ltd: add the currency in Xero"
    assert ("PUT", "/api.xro/2.0/Invoices") not in world.xero.calls


# ---------------------------------------------------------------------- order types
def test_renewal_and_billing_orders_are_invoiced(world: SyncWorld) -> None:
    customer = linked(world)
    renewal = world.order(customer, [fee("E3", 5, "36.00", type="renew")], order_type="renewal")
    usage = world.order(customer, [fee("E3", 7, "1.25", type="overuse")], order_type="billing")
    world.sync(customer)
    assert renewal["orderNumber"].startswith("RN") and usage["orderNumber"].startswith("BO")
    assert lines_of(world.invoice_for(renewal)) == [
        ("X-E3", "Microsoft 365 E3 - renew fee", 5.0, 36.0, 180.0)
    ]
    assert lines_of(world.invoice_for(usage)) == [
        ("X-E3", "Microsoft 365 E3 - overuse fee", 7.0, 1.25, 8.75)
    ]
    assert world.task(usage).order_type == "billing"


def test_sales_with_a_setup_fee(world: SyncWorld) -> None:
    customer = linked(world)
    order = world.order(customer, [fee("E3", 1, "50.00", type="setup"), ("E3", 10, "36.00")])
    world.sync(customer)
    assert [line[1] for line in lines_of(world.invoice_for(order))] == [
        "Microsoft 365 E3 - setup fee",
        "Microsoft 365 E3 - recurring fee",
    ]
    assert world.invoice_for(order)["SubTotal"] == 410.0


def test_an_upgrade_change_order_is_invoiced(world: SyncWorld) -> None:
    customer = linked(world)
    order = world.order(customer, [("E3", 5, "36.00")], order_type="change")
    world.sync(customer)
    assert world.invoice_for(order)["SubTotal"] == 180.0
    assert world.task(order).order_type == "change"


def test_a_refunded_downgrade_becomes_an_allocated_credit_note(world: SyncWorld) -> None:
    world.configure(new_invoice_status="AUTHORISED")
    customer = linked(world)
    sale = world.order(customer, [("E3", 10, "36.00")])
    world.sync(customer)
    downgrade = world.order(
        customer, [fee("E3", -4, "36.00", type="recurringRefund")], order_type="change"
    )
    world.clock.advance(minutes=5)
    world.sync(customer)
    (note,) = world.credit_notes()
    assert (note["Reference"], note["Type"], note["Total"]) == (
        downgrade["orderNumber"],
        "ACCRECCREDIT",
        144.0,
    )
    assert lines_of(note) == [("X-E3", "Microsoft 365 E3 - recurringRefund fee", 4.0, 36.0, 144.0)]
    invoice = world.invoice_for(sale)
    assert (invoice["AmountCredited"], invoice["AmountDue"]) == (144.0, 216.0)
    task = world.task(downgrade)
    assert task.status is TaskStatus.SYNCED
    assert task.credit_note is not None and task.document is None
    assert len(world.invoices()) == 1


def test_a_mixed_change_order_makes_an_invoice_and_a_credit_note(world: SyncWorld) -> None:
    customer = linked(world)
    order = world.order(
        customer,
        [("TEAMS", 10, "4.00"), fee("E3", -1, "36.00", type="downgrade")],
        order_type="change",
    )
    world.sync(customer)
    assert world.invoice_for(order)["SubTotal"] == 40.0
    assert world.credit_notes()[0]["SubTotal"] == 36.0
    task = world.task(order)
    assert task.status is TaskStatus.SYNCED  # 40 - 36 = the order's 4.00
    assert "new documents are DRAFT here" in (task.note or "")  # drafts cannot be allocated


def test_quantity_only_downgrades_move_no_money(world: SyncWorld) -> None:
    world.configure(downgrades="quantity_only")
    customer = linked(world)
    order = world.order(
        customer, [fee("E3", -4, "36.00", type="recurringRefund")], order_type="change"
    )
    world.sync(customer)
    assert (world.invoices(), world.credit_notes()) == ([], [])
    task = world.task(order)
    assert task.status is TaskStatus.SYNCED
    assert task.note == (
        "quantity change recorded, no money moved (downgrades: quantity only): "
        "Microsoft 365 E3: quantity -4"
    )
    message = world.repos.action_log.for_reseller(world.reseller_id)[0].message
    assert "quantity -4" in message
    assert "synced to Xero" not in message  # nothing went to Xero
    assert message.startswith(f"Order {order['orderNumber']}: nothing sent to Xero")


def log_line(world: SyncWorld, order: dict[str, Any]) -> str:
    (entry,) = [
        e
        for e in world.repos.action_log.for_reseller(world.reseller_id)
        if e.order_id == order["id"] and e.action == "sync_task"
    ]
    return entry.message


def test_a_draft_credit_note_says_why_it_is_not_allocated_and_what_to_do(
    world: SyncWorld,
) -> None:
    customer = linked(world)  # default settings: new documents are drafts
    world.order(customer, [("E3", 10, "36.00")])
    world.sync(customer)
    downgrade = world.order(
        customer, [fee("E3", -4, "36.00", type="recurringRefund")], order_type="change"
    )
    world.clock.advance(minutes=5)
    world.sync(customer)
    (note,) = world.credit_notes()
    assert (note["Status"], note["Allocations"]) == ("DRAFT", [])
    task = world.task(downgrade)
    assert task.status is TaskStatus.SYNCED
    why = task.note or ""
    assert f"credit note {note['CreditNoteNumber']} is not allocated" in why
    assert "only approved (AUTHORISED)" in why and "new_invoice_status" in why
    assert why in log_line(world, downgrade)  # the reseller reads it in the Action Log too


def test_an_unallocated_credit_note_is_an_action_even_when_only_problems_are_logged(
    world: SyncWorld,
) -> None:
    world.configure(notifications="errors_and_actions")  # the default: no success entries
    customer = linked(world)
    world.order(customer, [("E3", 10, "36.00")])
    world.sync(customer)
    downgrade = world.order(
        customer, [fee("E3", -4, "36.00", type="recurringRefund")], order_type="change"
    )
    world.clock.advance(minutes=5)
    world.sync(customer)
    assert world.task(downgrade).status is TaskStatus.SYNCED  # the credit note is made
    entries = world.repos.action_log.for_reseller(world.reseller_id)
    assert [e.order_id for e in entries if e.action == "sync_task"] == [downgrade["id"]]
    (entry,) = [e for e in entries if e.order_id == downgrade["id"]]
    assert entry.status is LogStatus.ACTION_REQUIRED
    assert "is not allocated" in entry.message and "Approve the credit note" in entry.message


def test_an_approved_credit_note_with_no_invoice_to_credit_says_so(world: SyncWorld) -> None:
    world.configure(new_invoice_status="AUTHORISED")
    customer = linked(world)
    downgrade = world.order(
        customer, [fee("E3", -1, "36.00", type="recurringRefund")], order_type="change"
    )
    world.sync(customer)
    (note,) = world.credit_notes()
    assert note["RemainingCredit"] == 36.0
    task = world.task(downgrade)
    assert "no invoice of the customer has an amount due" in (task.note or "")
    assert (task.note or "") in log_line(world, downgrade)


def test_a_credit_larger_than_the_invoice_due_says_what_is_left_on_the_contact(
    world: SyncWorld,
) -> None:
    """The note said only "72.00 credited to invoice ..." and the other 36.00 went unmentioned."""
    world.configure(new_invoice_status="AUTHORISED")
    customer = linked(world)
    world.order(customer, [("E3", 2, "36.00")])
    world.sync(customer)
    downgrade = world.order(
        customer, [fee("E3", -3, "36.00", type="recurringRefund")], order_type="change"
    )
    world.clock.advance(minutes=5)
    world.sync(customer)
    (note,) = world.credit_notes()
    assert (note["Total"], note["RemainingCredit"]) == (108.0, 36.0)
    task = world.task(downgrade)
    assert task.status is TaskStatus.SYNCED
    assert "72.00 credited to invoice" in (task.note or "")
    assert "36.00 stays on the contact" in (task.note or "")
    (entry,) = [
        e
        for e in world.repos.action_log.for_reseller(world.reseller_id)
        if e.order_id == downgrade["id"] and e.action == "sync_task"
    ]
    assert entry.status is LogStatus.ACTION_REQUIRED  # something is left to do in Xero


def test_a_cancellation_fee_goes_through_the_fees_mapping(world: SyncWorld) -> None:
    world.configure(new_invoice_status="AUTHORISED")
    world.cancellation_fee_item()
    customer = linked(world)
    order = world.order(
        customer,
        [
            fee("E3", 1, "25.00", type="cancellation"),
            fee("E3", -2, "36.00", type="recurringRefund"),
        ],
        order_type="cancellation",
    )
    world.sync(customer)
    assert lines_of(world.invoice_for(order)) == [
        ("X-fee:cancellation", "Microsoft 365 E3 - cancellation fee", 1.0, 25.0, 25.0)
    ]
    (note,) = world.credit_notes()
    assert note["Total"] == 72.0
    assert note["RemainingCredit"] == 47.0  # 25.00 allocated to the fee's invoice
    assert world.task(order).status is TaskStatus.SYNCED


def test_a_cancellation_fee_without_a_fees_mapping_needs_action(world: SyncWorld) -> None:
    customer = linked(world)
    order = world.order(
        customer, [fee("E3", 1, "25.00", type="cancellation")], order_type="cancellation"
    )
    world.sync(customer)
    assert world.task(order).reason == (
        "no Xero item mapped for product(s): cancellation fee (fees mapping)"
    )


def test_a_cancellation_without_fees_is_synced_with_nothing_to_invoice(world: SyncWorld) -> None:
    customer = linked(world)
    order = world.order(customer, [], order_type="cancellation")
    world.sync(customer)
    task = world.task(order)
    assert (task.status, task.note) == (
        TaskStatus.SYNCED,
        "nothing to invoice: the order has no fees",
    )


@pytest.mark.parametrize(
    ("order_type", "status", "reason"),
    [
        ("migration", "completed", "orders of type migration are not synced"),
        ("sales", "cancelled", "order is cancelled, not completed"),
        ("sales", "error", "order is error, not completed"),
    ],
)
def test_orders_we_do_not_sync_become_ignored_tasks(
    world: SyncWorld, order_type: str, status: str, reason: str
) -> None:
    customer = linked(world)
    order = world.order(customer, [("E3", 1, "36.00")], order_type=order_type, status=status)
    world.sync(customer)
    task = world.task(order)
    assert (task.status, task.reason) == (TaskStatus.IGNORED, reason)
    assert world.invoices() == []


@pytest.mark.parametrize("in_flight", ["submitted", "processing"])
def test_an_order_still_in_flight_is_synced_once_it_completes(
    world: SyncWorld, in_flight: str
) -> None:
    # Found walking the README: an order first seen while processing became an ignored task,
    # the cursor moved past it, and nothing ever invoiced it once it completed.
    customer = linked(world)
    pending = world.order(customer, [("E3", 1, "36.00")], status=in_flight)
    world.clock.advance(minutes=1)
    later = world.order(customer, [("TEAMS", 1, "4.00")])
    world.sync(customer)
    assert world.repos.tasks.get(world.reseller_id, pending["id"]) is None  # no task yet
    assert world.task(later).status is TaskStatus.SYNCED
    world.market.orders[pending["id"]]["status"] = "completed"
    world.clock.advance(minutes=5)
    world.sync(customer)
    assert world.task(pending).status is TaskStatus.SYNCED
    assert sorted(i["Total"] for i in world.invoices()) == [4.0, 36.0]


# ---------------------------------------------------------------------- notifications
def test_errors_only_notifications(world: SyncWorld) -> None:
    world.configure(notifications="errors_and_actions")
    world.market.add_product("NOPE", "Unmapped", "1.00")
    customer = linked(world)
    world.order(customer, [("E3", 1, "36.00")])
    bad = world.order(customer, [("NOPE", 1, "1.00")])
    world.sync(customer)
    (entry,) = world.repos.action_log.for_reseller(world.reseller_id)
    assert (entry.status, entry.order_id, entry.customer_id) == (
        LogStatus.ACTION_REQUIRED,
        bad["id"],
        customer,
    )


def test_all_tasks_notifications(world: SyncWorld) -> None:
    customer = linked(world)
    order = world.order(customer, [("E3", 1, "36.00")])
    world.sync(customer)
    entries = world.repos.action_log.for_reseller(world.reseller_id)
    assert [(e.action, e.status) for e in reversed(entries)] == [
        ("task_created", LogStatus.INFO),
        ("sync_task", LogStatus.SUCCESS),
    ]
    assert entries[0].xero_document_id == world.invoice_for(order)["InvoiceID"]
    assert entries[0].actor == "scheduler"


# ---------------------------------------------------------------------- by hand
def test_lines_edited_by_hand_and_sent_to_a_new_invoice(world: SyncWorld) -> None:
    world.configure(invoice_target="existing")
    customer = linked(world)
    first = world.order(customer, [("E3", 1, "36.00")])
    world.sync(customer)
    order = world.order(customer, [("E3", 2, "36.00")])
    world.engine.check_changes(world.job(customer))
    task = world.task(order)
    world.repos.tasks.replace(
        task.model_copy(
            update={
                "edits": (LineEdit(index=0, description="E3, two seats", unit_amount=Decimal(30)),),
                "target": TargetChoice.NEW,
            }
        ),
        previous=task,
    )
    world.engine.process([world.job(customer, task_ids=(order["id"],), actor="jane@reseller")])
    assert lines_of(world.invoice_for(order)) == [("X-E3", "E3, two seats", 2.0, 30.0, 60.0)]
    assert world.invoice_for(order) is not world.invoice_for(first)
    assert world.task(order).status is TaskStatus.SYNCED


def test_a_locked_invoice_chosen_by_hand_needs_action(world: SyncWorld) -> None:
    customer = linked(world)
    first = world.order(customer, [("E3", 1, "36.00")])
    world.sync(customer)
    locked = world.invoice_for(first)
    locked.update(Status="PAID")
    order = world.order(customer, [("TEAMS", 1, "4.00")])
    world.engine.check_changes(world.job(customer))
    task = world.task(order)
    world.repos.tasks.replace(
        task.model_copy(
            update={"target": TargetChoice.GIVEN, "target_invoice_id": locked["InvoiceID"]}
        ),
        previous=task,
    )
    world.engine.process([world.job(customer, task_ids=(order["id"],))])
    assert "is locked" in (world.task(order).reason or "")
    assert len(world.invoices()) == 1


def test_settings_defaults_are_the_documented_ones() -> None:
    assert Settings().model_dump(mode="json", include={"invoice_target", "downgrades"}) == {
        "invoice_target": "new",
        "downgrades": "refund",
    }


def test_a_second_downgrade_is_credited_to_the_same_invoice(world: SyncWorld) -> None:
    world.configure(new_invoice_status="AUTHORISED")
    customer = linked(world)
    sale = world.order(customer, [("E3", 10, "36.00")])
    world.sync(customer)
    for _ in range(2):
        world.order(customer, [fee("E3", -1, "36.00", type="recurringRefund")], order_type="change")
        world.clock.advance(minutes=5)
        world.sync(customer)
    invoice = world.invoice_for(sale)
    assert (invoice["AmountCredited"], invoice["AmountDue"]) == (72.0, 288.0)
    assert [n["RemainingCredit"] for n in world.credit_notes()] == [0.0, 0.0]


def test_an_order_found_later_on_a_shared_invoice_is_not_made_again(world: SyncWorld) -> None:
    world.configure(invoice_target="existing")
    customer = linked(world)
    first = world.order(customer, [("E3", 1, "36.00")])
    world.sync(customer)
    # Its worker died after Xero answered: the task is still processing, its lease running.
    done = world.task(first)
    world.repos.tasks.tasks[(world.reseller_id, first["id"])] = done.model_copy(  # type: ignore[attr-defined]
        update={
            "status": TaskStatus.PROCESSING,
            "document": None,
            "retry_at": world.clock.now() + timedelta(minutes=10),
        }
    )
    second = world.order(customer, [("TEAMS", 1, "4.00")])
    world.sync(customer)  # the second order's lines join the first's invoice
    assert world.invoices()[0]["Reference"] == f"{first['orderNumber']}, {second['orderNumber']}"
    world.clock.advance(minutes=11)
    world.sync(customer)  # the first task is taken over, and found on the shared invoice
    assert len(world.invoices()) == 1
    task = world.task(first)
    assert task.status is TaskStatus.SYNCED
    assert task.note is None  # its own marked lines were checked, the second order's left out
    assert len(task.line_item_ids) == 1


def test_a_credit_notes_allocation_note_survives_a_shared_invoice_found_again(
    world: SyncWorld,
) -> None:
    world.configure(invoice_target="existing")
    customer = linked(world)
    first = world.order(
        customer,
        [("TEAMS", 10, "4.00"), fee("E3", -1, "36.00", type="downgrade")],
        order_type="change",
    )
    world.sync(customer)
    # Its worker died after Xero answered: taken over later, found on a shared invoice.
    done = world.task(first)
    world.repos.tasks.tasks[(world.reseller_id, first["id"])] = done.model_copy(  # type: ignore[attr-defined]
        update={
            "status": TaskStatus.PROCESSING,
            "document": None,
            "credit_note": None,
            "note": None,
            "retry_at": world.clock.now() + timedelta(minutes=10),
        }
    )
    world.order(customer, [("TEAMS", 1, "4.00")])
    world.sync(customer)
    world.clock.advance(minutes=11)
    world.sync(customer)
    task = world.task(first)
    assert task.status is TaskStatus.SYNCED
    assert "is not allocated" in (task.note or "")  # kept beside it, not overwritten
    assert len(world.credit_notes()) == 1


# ---------------------------------------------------------------------- a busy existing invoice
def named_orders(world: SyncWorld) -> list[str]:
    """Every order number the invoices name: in a Reference, or on a line's order mark."""
    named = []
    for invoice in world.invoices():
        named += reference_entries(invoice["Reference"])
        named += [order_of(LineItem.model_validate(line)) or "" for line in invoice["LineItems"]]
    return named


def test_a_busy_existing_invoice_survives_a_lost_answer(world: SyncWorld) -> None:
    # issue 9: 30 one-line orders onto one invoice; before the 28th, Xero commits and the
    # answer is lost, then it answers 500; the schedule fires again.
    world.configure(invoice_target="existing", invoice_number_source="marketplace")
    customer = linked(world)
    orders = []
    for n in range(30):
        orders.append(world.order(customer, [("TEAMS", 2, "4.00")]))
        if n == 27:  # after reading the items and the latest invoice: the update
            world.xero.faults.extend(["pass", "pass", "commit_then_drop", "500", "500", "500"])
        world.sync(customer)
        world.clock.advance(minutes=5)
    world.clock.advance(hours=1)
    world.sync(customer)
    assert world.xero.faults == deque()  # every fault struck
    invoices = world.invoices()
    assert sum(len(i["LineItems"]) for i in invoices) == 30  # no line twice
    assert sum(i["SubTotal"] for i in invoices) == 240.0
    assert all(len(i["Reference"]) <= 255 for i in invoices)
    numbers = {o["orderNumber"] for o in orders}
    assert all(set(reference_entries(i["Reference"])) <= numbers for i in invoices)  # no stub
    assert {o["orderNumber"] for o in orders} - set(named_orders(world)) == set()
    assert {world.task(o).status for o in orders} == {TaskStatus.SYNCED}


def test_a_retry_checks_its_own_lines_not_later_orders(world: SyncWorld) -> None:
    # issue 9: a retry measured "invoice now less before", which counts later orders' lines,
    # and held a correct invoice as "totals disagree".
    world.configure(invoice_target="existing")
    customer = linked(world)
    world.order(customer, [("E3", 1, "36.00")])
    world.sync(customer)
    lost = world.order(customer, [("TEAMS", 1, "4.00")])
    world.xero.faults.extend(["pass", "pass", "commit_then_drop", "500", "500", "500"])
    world.sync(customer)  # its lines reach the invoice, the answer does not
    assert world.task(lost).status is TaskStatus.FAILED
    later = world.order(customer, [("TEAMS", 3, "4.00")])
    world.sync(customer)  # before the lost one's retry time: the later order joins the invoice
    world.clock.advance(minutes=5)
    world.sync(customer)
    (invoice,) = world.invoices()
    assert invoice["SubTotal"] == 52.0
    assert (world.task(lost).status, world.task(lost).reason) == (TaskStatus.SYNCED, None)
    assert world.task(later).status is TaskStatus.SYNCED


def test_a_full_reference_starts_a_new_invoice(world: SyncWorld) -> None:
    world.configure(invoice_target="existing")
    customer = linked(world)
    orders = []
    for _ in range(27):  # "SO000123, " is 10 characters: 25 numbers fill 255
        orders.append(world.order(customer, [("TEAMS", 1, "4.00")]))
        world.sync(customer)
        world.clock.advance(minutes=1)
    first, second = sorted(world.invoices(), key=lambda i: len(i["LineItems"]), reverse=True)
    assert reference_entries(first["Reference"]) == [o["orderNumber"] for o in orders[:25]]
    assert reference_entries(second["Reference"]) == [o["orderNumber"] for o in orders[25:]]
    assert (len(first["LineItems"]), len(second["LineItems"])) == (25, 2)


def test_a_run_of_many_open_orders_fills_one_invoice_before_the_next(world: SyncWorld) -> None:
    world.configure(invoice_target="existing")
    customer = linked(world)
    orders = [world.order(customer, [("TEAMS", 1, "4.00")]) for _ in range(55)]
    world.sync(customer)
    assert sorted(len(reference_entries(i["Reference"])) for i in world.invoices()) == [5, 25, 25]
    assert {world.task(o).status for o in orders} == {TaskStatus.SYNCED}
    assert set(named_orders(world)) == {o["orderNumber"] for o in orders}


def test_an_order_whose_due_date_is_past_the_end_of_time_waits_alone(world: SyncWorld) -> None:
    # Found by the attack of 2026-11-27: an order dated 9999-12-31 (its due date past year
    # 9999) raised OverflowError while its batch's invoices were built, failing every task of
    # the batch at every retry: the customer's ordinary orders never synced.
    customer = linked(world)
    end_of_time = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=14)))
    odd = world.order(customer, [("E3", 1, "36.00")], created=end_of_time)
    ordinary = world.order(customer, [("E3", 2, "36.00")])
    world.sync(customer)
    assert world.task(ordinary).status is TaskStatus.SYNCED
    waiting = world.task(odd)
    assert waiting.status is TaskStatus.ACTION_REQUIRED
    assert "due date" in (waiting.reason or "")
