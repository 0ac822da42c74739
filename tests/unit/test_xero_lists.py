"""Archived contacts are never matched or used, and every list the product reads from Xero is
read to its end (issue 11, item 7; Xero's certification checkpoints 7 and, in the older list,
10 "paging"). Xero's spec says which lists are paged: Contacts, Invoices and CreditNotes take
`page` (100 to a page); Items, Accounts, TaxRates and Currencies do not, and answer whole."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from cbxero.adapters.xero import XeroClient
from cbxero.domain.contacts import choose_contact
from cbxero.domain.errors import InvalidInput
from cbxero.domain.marketplace import MarketplaceCustomer
from cbxero.domain.xero import Contact
from cbxero.services.mapping import MappingDesk
from local.world import Repositories, SyncWorld
from tests.fakes import FakeActionLog, FakeLinks, FakeMappings, FakeSettings, FakeTasks

Sent = list[tuple[str, dict[str, str]]]


@pytest.fixture
def world() -> SyncWorld:
    repos = Repositories(FakeSettings(), FakeLinks(), FakeMappings(), FakeTasks(), FakeActionLog())
    built = SyncWorld(repos)
    built.configure()
    return built


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Sent:
    """Every GET the client sends: (path, query)."""
    seen: Sent = []
    original = XeroClient._send

    def recording(self: XeroClient, method: str, url: str, **kwargs: Any) -> Any:
        if method == "GET":
            seen.append((url.split("/api.xro/2.0")[1], dict(kwargs.get("params") or {})))
        return original(self, method, url, **kwargs)

    monkeypatch.setattr(XeroClient, "_send", recording)
    return seen


def desk_of(world: SyncWorld) -> MappingDesk:
    repos = world.repos
    return MappingDesk(
        settings=repos.settings,
        links=repos.links,
        mappings=repos.mappings,
        marketplace=world.marketplace,
        xero=lambda _reseller: world.client(),
        action_log=repos.action_log,
        clock=world.clock,
    )


def add_contacts(world: SyncWorld, count: int, **fields: str) -> list[str]:
    ids = []
    for n in range(count):
        contact_id = str(uuid.uuid4())
        world.org.contacts[contact_id] = {
            "ContactID": contact_id,
            "Name": f"Customer {n:03}",
            "ContactStatus": "ACTIVE",
            **fields,
        }
        ids.append(contact_id)
    return ids


# ---------------------------------------------------------------------- paging to the end
def test_the_contact_picker_lists_every_contact_past_the_first_page(
    world: SyncWorld, sent: Sent
) -> None:
    ids = add_contacts(world, 250)
    world.org.contacts[ids[7]]["ContactStatus"] = "ARCHIVED"
    listed = desk_of(world).contacts(world.reseller_id, None)
    assert len(listed) == 249  # was 100: page 1 only
    assert ids[7] not in {c.contact_id for c in listed}
    assert [q["page"] for path, q in sent if path == "/Contacts"] == ["1", "2", "3"]


def test_a_search_reaches_contacts_beyond_the_first_hundred(world: SyncWorld) -> None:
    add_contacts(world, 250)
    desk = desk_of(world)
    assert len(desk.contacts(world.reseller_id, "customer")) == 250  # was cut at 100
    assert len(desk.contacts(world.reseller_id, "customer 2")) == 50  # 200-249, all past page 1


def test_matching_reads_every_page_of_its_query(world: SyncWorld, sent: Sent) -> None:
    add_contacts(world, 130, EmailAddress="billing@shared.example")
    found = world.client().contacts_matching({"EmailAddress": "billing@shared.example"})
    assert len(found) == 130
    assert [q["page"] for path, q in sent if path == "/Contacts"] == ["1", "2"]


def test_items_are_read_whole_in_one_call_as_xeros_spec_has_no_pages(
    world: SyncWorld, sent: Sent
) -> None:
    for n in range(250):
        world.org.items[f"I{n}"] = {"ItemID": str(uuid.uuid4()), "Code": f"I{n}"}
    client = world.client()
    assert len(client.all_items()) == 250
    assert set(client.items(["I0", "I249", "gone"])) == {"I0", "I249"}
    assert [q for path, q in sent if path == "/Items"] == [{}, {}]


def test_references_are_looked_up_to_the_last_page(world: SyncWorld, sent: Sent) -> None:
    contact_id = add_contacts(world, 1)[0]
    for n in range(130):  # documents whose Reference contains "SO7" but is another order's
        world.org.invoices[f"i{n}"] = _invoice(f"i{n}", contact_id, f"SO7{n:03}")
    world.org.invoices["mine"] = _invoice("mine", contact_id, "SO5, SO7")
    found = world.client().invoices_by_reference(["SO7"])
    assert [i.invoice_id for i in found] == ["mine"]
    assert [q.get("page") for path, q in sent if path == "/Invoices"] == ["1", "2"]


def _invoice(invoice_id: str, contact_id: str, reference: str) -> dict[str, Any]:
    return {
        "InvoiceID": invoice_id,
        "Type": "ACCREC",
        "Contact": {"ContactID": contact_id},
        "Reference": reference,
        "Status": "AUTHORISED",
        "LineItems": [],
    }


def test_the_lists_we_page_are_the_lists_xeros_spec_pages(specs_dir: Path) -> None:
    """Which GET lists take `page`, by Xero's spec: those the client pages; the others the
    client reads in one call, which the spec says answers whole."""
    spec = yaml.safe_load((specs_dir / "xero" / "xero_accounting.yaml").read_text())

    def paged(path: str) -> bool:
        parameters = spec["paths"][path]["get"].get("parameters", [])
        return any(
            p.get("name") == "page" or p.get("$ref", "").endswith("/page") for p in parameters
        )

    assert {p: paged(p) for p in ("/Contacts", "/Invoices", "/CreditNotes")} == dict.fromkeys(
        ("/Contacts", "/Invoices", "/CreditNotes"), True
    )
    assert not any(paged(p) for p in ("/Items", "/Accounts", "/TaxRates", "/Currencies"))


# ---------------------------------------------------------------------- archived: never used
def test_mapping_a_customer_to_an_archived_contact_is_refused(world: SyncWorld) -> None:
    customer = world.customer("Walkthrough Ltd")
    archived, survivor = add_contacts(world, 2)
    world.org.contacts[archived]["ContactStatus"] = "ARCHIVED"
    desk = desk_of(world)
    with pytest.raises(InvalidInput) as refused:
        desk.map_customer(world.reseller_id, customer, archived, "u")
    assert refused.value.field == "xero_contact_id"
    assert "is archived: restore it in Xero or choose another" in refused.value.message
    world.org.contacts[archived]["MergedToContactID"] = survivor
    with pytest.raises(InvalidInput) as merged:
        desk.map_customer(world.reseller_id, customer, archived, "u")
    assert f"was merged into contact {survivor}" in merged.value.message
    link = world.repos.links.get(world.reseller_id, customer)
    assert link is not None and link.xero_contact_id is None
    assert desk.map_customer(world.reseller_id, customer, survivor, "u").xero_contact_id == survivor


def test_suggestions_import_and_the_picker_leave_archived_contacts_out(world: SyncWorld) -> None:
    customer = world.customer("Walkthrough Ltd", email="ap@walk.example")
    archived = add_contacts(world, 1, EmailAddress="ap@walk.example", ContactNumber=customer)[0]
    world.org.contacts[archived].update(ContactStatus="ARCHIVED", Name="Walkthrough Ltd (old)")
    desk = desk_of(world)
    assert desk.suggestions(world.reseller_id, customer) == []
    assert desk.contacts(world.reseller_id, "walkthrough") == []
    report = desk.import_all(world.reseller_id, "u")
    assert report.created == [customer] and report.matched == []
    link = world.repos.links.get(world.reseller_id, customer)
    assert link is not None and link.xero_contact_id not in (None, archived)


def test_an_archived_contact_is_never_chosen_whatever_xero_answered() -> None:
    """The decision alone: even given an archived or merged contact (a `where` that brought
    it), it is no candidate, though it carries the customer's own number."""
    customer = MarketplaceCustomer(id="c1", name="Alpha Corp", tax_reg_id="DE1")
    archived = Contact.model_validate(
        {"ContactID": "k1", "Name": "Alpha", "ContactNumber": "c1", "ContactStatus": "ARCHIVED"}
    )
    merged = Contact.model_validate(
        {"ContactID": "k2", "Name": "Alpha 2", "TaxNumber": "DE1", "MergedToContactID": "k3"}
    )
    choice = choose_contact(customer, [archived, merged], {})
    assert choice.linked is None and choice.candidates == ()


def test_the_latest_invoice_in_a_currency_is_found_behind_a_page_of_others(
    world: SyncWorld,
) -> None:
    contact_id = add_contacts(world, 1)[0]
    world.org.invoices["mine"] = {
        **_invoice("mine", contact_id, "SO1"),
        "Status": "DRAFT",
        "CurrencyCode": "USD",
        "Date": "/Date(1700000000000+0000)/",
    }
    for n in range(100):  # newer, in euros: page 1 of the contact's invoices, by date
        world.org.invoices[f"e{n}"] = {
            **_invoice(f"e{n}", contact_id, f"SO-E{n}"),
            "Status": "DRAFT",
            "CurrencyCode": "EUR",
            "Date": "/Date(1760000000000+0000)/",
        }
    latest = world.client().latest_editable_invoice(contact_id, "USD")
    assert latest is not None and latest.invoice_id == "mine"  # was None: a new invoice made
