"""Batched look-ups by id: every status, every page. The events, the guard and the drift
report read Xero's side through these."""

from __future__ import annotations

from decimal import Decimal

from local.world import Repositories, SyncWorld
from tests.fakes import FakeActionLog, FakeLinks, FakeMappings, FakeSettings, FakeTasks


def world() -> SyncWorld:
    repos = Repositories(FakeSettings(), FakeLinks(), FakeMappings(), FakeTasks(), FakeActionLog())
    made = SyncWorld(repos)
    made.configure()
    return made


def test_contacts_by_id_reads_archived_and_merged_contacts_past_the_first_page() -> None:
    w = world()
    ids = [w.customer(f"Customer {n:03}", linked=True) for n in range(130)]
    contacts = list(w.org.contacts.values())
    contacts[0]["ContactStatus"] = "ARCHIVED"
    contacts[1]["ContactStatus"] = "ARCHIVED"
    contacts[1]["MergedToContactID"] = contacts[2]["ContactID"]
    wanted = [c["ContactID"] for c in contacts]
    assert len(ids) == len(wanted) == 130

    found = {c.contact_id: c for c in w.client().contacts_by_id([*wanted, "not-a-contact"])}

    assert set(found) == set(wanted)
    assert found[contacts[0]["ContactID"]].archived
    assert found[contacts[1]["ContactID"]].merged_to_contact_id == contacts[2]["ContactID"]
    assert not found[contacts[2]["ContactID"]].archived


def test_invoices_by_id_include_voided_ones_with_what_was_paid() -> None:
    w = world()
    customer = w.customer("Paying Ltd", linked=True)
    w.product("MPN-1", "Office 365", "10.00")
    first = w.order(customer, [("MPN-1", 1, "10.00")])
    second = w.order(customer, [("MPN-1", 2, "10.00")])
    w.sync(customer)
    one, two = w.invoice_for(first), w.invoice_for(second)
    one["Status"] = "VOIDED"
    two.update(AmountPaid=5.0, AmountDue=15.0)

    found = {i.invoice_id: i for i in w.client().invoices([one["InvoiceID"], two["InvoiceID"]])}

    assert found[one["InvoiceID"]].status == "VOIDED"
    assert found[two["InvoiceID"]].amount_paid == Decimal("5")
    assert found[two["InvoiceID"]].updated_date_utc is not None
