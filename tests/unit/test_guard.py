"""The guard before sending (issue 11, item 4, and the currency check of item 7): what Xero
changed under a batch holds the task with the action to take, nothing of it is sent, and the
batch's other tasks go on. The organisation's state is changed directly, as a Xero user would.
Each case is also run without the guard, to show the confusing answer it replaces."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cbxero.domain.contacts import choose_contact
from cbxero.domain.guard import (
    ContactSeen,
    XeroSide,
    contact_hold,
    currency_hold,
    item_hold,
    order_hold,
)
from cbxero.domain.marketplace import (
    LineKind,
    MarketplaceCustomer,
    MarketplaceOrder,
    Money,
    OrderLine,
    OrderStatus,
    OrderType,
)
from cbxero.domain.model import CustomerLink, LogStatus, ProductMapping, SyncTask, TaskStatus
from cbxero.domain.settings import Settings
from cbxero.domain.xero import Contact, Item
from cbxero.services.sync import pipeline
from local.simpleapi_emulator import fee
from local.world import Repositories, SyncWorld
from tests.fakes import FakeActionLog, FakeLinks, FakeMappings, FakeSettings, FakeTasks

INVOICES_PUT = ("PUT", "/api.xro/2.0/Invoices")


@pytest.fixture
def world() -> SyncWorld:
    built = SyncWorld(
        Repositories(FakeSettings(), FakeLinks(), FakeMappings(), FakeTasks(), FakeActionLog())
    )
    built.configure()
    built.product("E3", "Microsoft 365 E3", "36.00")
    built.product("TEAMS", "Teams Essentials", "4.00")
    return built


@pytest.fixture
def unguarded(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pipeline as it was before the guard: every claimed task goes straight to the plan."""

    def let_through(_run: Any, claimed: list[SyncTask]) -> list[SyncTask]:
        return claimed

    monkeypatch.setattr(pipeline, "guard", let_through)


def contact_id_of(world: SyncWorld, customer: str) -> str:
    link = world.repos.links.get(world.reseller_id, customer)
    assert link is not None and link.xero_contact_id
    return link.xero_contact_id


def two_customers(world: SyncWorld) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    """A customer whose Xero side will change, and one whose will not, one order each."""
    held = world.customer("Archie Ltd", linked=True)
    fine = world.customer("Fine Ltd", linked=True)
    return (
        held,
        fine,
        world.order(held, [("E3", 1, "36.00")]),
        world.order(fine, [("TEAMS", 2, "4.00")]),
    )


# ---------------------------------------------------------------------- contacts
def test_an_archived_contact_holds_its_task_and_the_batch_goes_on(world: SyncWorld) -> None:
    held, fine, order, other = two_customers(world)
    world.org.contacts[contact_id_of(world, held)]["ContactStatus"] = "ARCHIVED"

    world.sync(held, fine)

    task = world.task(order)
    assert task.status is TaskStatus.ACTION_REQUIRED
    assert task.reason == "contact Archie Ltd is archived in Xero: restore it or map another"
    assert world.task(other).status is TaskStatus.SYNCED
    assert [i["Contact"]["ContactID"] for i in world.invoices()] == [contact_id_of(world, fine)]
    assert world.xero.calls.count(INVOICES_PUT) == 1  # the other task's, alone
    told = world.repos.action_log.for_reseller(world.reseller_id)
    assert any(
        e.status is LogStatus.ACTION_REQUIRED and "Archie Ltd is archived" in e.message
        for e in told
    )


def test_a_merged_contact_names_the_survivor(world: SyncWorld) -> None:
    held, fine, order, other = two_customers(world)
    survivor = world.customer("Archie Holdings", linked=True)
    merged = world.org.contacts[contact_id_of(world, held)]
    merged.update(ContactStatus="ARCHIVED", MergedToContactID=contact_id_of(world, survivor))

    world.sync(held, fine)

    task = world.task(order)
    assert task.status is TaskStatus.ACTION_REQUIRED
    assert task.reason == (
        "contact Archie Ltd was merged into Archie Holdings in Xero: confirm the mapping"
    )
    assert world.task(other).status is TaskStatus.SYNCED
    # Once the reseller maps the customer to the survivor, the task goes through.
    link = world.repos.links.get(world.reseller_id, held)
    assert link is not None
    world.repos.links.save(link.model_copy(update={"xero_contact_id": merged["MergedToContactID"]}))
    world.clock.advance(hours=2)  # a waiting task is looked at again
    world.sync(held)
    assert world.task(order).status is TaskStatus.SYNCED
    assert world.invoice_for(order)["Contact"]["ContactID"] == merged["MergedToContactID"]


def test_a_merge_xeros_webhook_reported_holds_the_task_when_xero_no_longer_returns_it(
    world: SyncWorld,
) -> None:
    held, fine, order, other = two_customers(world)
    survivor = world.customer("Archie Holdings", linked=True)
    gone = contact_id_of(world, held)
    link = world.repos.links.get(world.reseller_id, held)
    assert link is not None
    # The events function recorded the merge; the merged-away contact has since gone from Xero.
    world.repos.links.save(
        link.model_copy(
            update={
                "xero_contact_archived": True,
                "xero_contact_merged_into": contact_id_of(world, survivor),
            }
        )
    )
    del world.org.contacts[gone]

    world.sync(held, fine)

    expected = f"contact {gone} was merged into Archie Holdings in Xero: confirm the mapping"
    assert world.task(order).reason == expected
    assert world.task(other).status is TaskStatus.SYNCED


def test_contacts_are_read_once_for_the_whole_batch(world: SyncWorld) -> None:
    customers = [world.customer(f"Customer {n}", linked=True) for n in range(12)]
    for customer in customers:
        world.order(customer, [("TEAMS", 1, "4.00")])
    world.org.contacts[contact_id_of(world, customers[3])]["ContactStatus"] = "ARCHIVED"

    world.sync(*customers)

    contact_reads = [c for c in world.xero.calls if c == ("GET", "/api.xro/2.0/Contacts")]
    assert len(contact_reads) == 1  # 12 ids in one IDs= read
    assert world.xero.calls.count(("GET", "/api.xro/2.0/Currencies")) == 1
    assert world.xero.calls.count(("GET", "/api.xro/2.0/Items")) == 1  # shared with the plan
    statuses = [t.status for t in world.repos.tasks.for_reseller(world.reseller_id)]
    assert sorted(statuses).count(TaskStatus.SYNCED) == 11


@pytest.mark.usefixtures("unguarded")
def test_without_the_guard_an_archived_contact_was_xeros_validation_error(
    world: SyncWorld,
) -> None:
    held, fine, order, _ = two_customers(world)
    world.org.contacts[contact_id_of(world, held)]["ContactStatus"] = "ARCHIVED"
    world.sync(held, fine)
    assert world.task(order).reason == (
        "Xero refused the invoice: Unable to assign an Archived contact."
    )


# ---------------------------------------------------------------------- items
@pytest.mark.parametrize("price_source", ["marketplace", "xero"])
def test_a_deleted_item_holds_its_task(world: SyncWorld, price_source: str) -> None:
    world.configure(price_source=price_source)
    held, fine, order, other = two_customers(world)
    del world.org.items["X-E3"]

    world.sync(held, fine)

    task = world.task(order)
    assert task.status is TaskStatus.ACTION_REQUIRED
    assert task.reason == "item X-E3 no longer exists in Xero: map the product again"
    assert world.task(other).status is TaskStatus.SYNCED
    assert len(world.invoices()) == 1


def test_an_item_no_longer_sold_holds_its_task(world: SyncWorld) -> None:
    held, fine, order, other = two_customers(world)
    world.org.items["X-E3"].update(IsSold=False, SalesDetails={})

    world.sync(held, fine)

    task = world.task(order)
    assert task.status is TaskStatus.ACTION_REQUIRED
    assert task.reason == (
        "item X-E3 is no longer sold in Xero (its 'I sell this item' is off): "
        "turn it on in Xero or map the product again"
    )
    assert world.task(other).status is TaskStatus.SYNCED


@pytest.mark.usefixtures("unguarded")
@pytest.mark.parametrize(
    ("price_source", "confusing"),
    [
        ("marketplace", "Xero refused the invoice: Item code 'X-E3' is not valid."),
        ("xero", "Xero item X-E3 has no sales unit price"),
    ],
)
def test_without_the_guard_a_deleted_item_was_confusing(
    world: SyncWorld, price_source: str, confusing: str
) -> None:
    world.configure(price_source=price_source)
    held, fine, order, _ = two_customers(world)
    del world.org.items["X-E3"]
    world.sync(held, fine)
    assert world.task(order).reason == confusing


def test_an_order_that_moves_no_money_is_not_held(world: SyncWorld) -> None:
    world.configure(downgrades="quantity_only")
    customer = world.customer("Quiet Ltd", linked=True)
    world.org.contacts[contact_id_of(world, customer)]["ContactStatus"] = "ARCHIVED"
    order = world.order(
        customer, [fee("E3", -1, "36.00", type="recurringRefund")], order_type="change"
    )
    world.sync(customer)
    assert world.task(order).status is TaskStatus.SYNCED  # a quantity change; nothing was sent


# ---------------------------------------------------------------------- currency
def test_a_currency_not_enabled_holds_only_its_task(world: SyncWorld) -> None:
    customer = world.customer("Euro GmbH", linked=True)
    euros = world.order(customer, [("E3", 1, "36.00")], currency="EUR")
    dollars = world.order(customer, [("E3", 1, "36.00")])
    world.org.currencies.discard("EUR")

    world.sync(customer)

    task = world.task(euros)
    assert task.status is TaskStatus.ACTION_REQUIRED
    assert task.reason == "EUR is not enabled in Demo Reseller Ltd: add the currency in Xero"
    assert world.task(dollars).status is TaskStatus.SYNCED
    world.org.currencies.add("EUR")  # the reseller adds it in Xero
    world.clock.advance(hours=2)
    world.sync(customer)
    assert world.task(euros).status is TaskStatus.SYNCED


@pytest.mark.usefixtures("unguarded")
def test_without_the_guard_a_currency_was_xeros_refusal(world: SyncWorld) -> None:
    customer = world.customer("Euro GmbH", linked=True)
    euros = world.order(customer, [("E3", 1, "36.00")], currency="EUR")
    world.org.currencies.discard("EUR")
    world.sync(customer)
    assert world.task(euros).reason == (
        "Xero refused the invoice: Organisation is not subscribed to currency EUR"
    )


def test_the_organisations_currencies_include_its_base(world: SyncWorld) -> None:
    codes = [c.code for c in world.client().currencies()]
    assert codes[0] == world.org.currency and set(codes) == {"USD", "EUR", "GBP"}


# ---------------------------------------------------------------------- the decisions alone
def test_contact_decisions() -> None:
    active = ContactSeen("c1", "Alpha")
    assert contact_hold("c1", active) is None
    assert contact_hold("c1", None) == (
        "contact c1 is not in the connected Xero organisation: map the customer to another contact"
    )
    archived = ContactSeen("c1", "Alpha", archived=True)
    assert (
        contact_hold("c1", archived)
        == "contact Alpha is archived in Xero: restore it or map another"
    )
    merged = ContactSeen("c1", "Alpha", archived=True, merged_into="c2")
    assert contact_hold("c1", merged, ContactSeen("c2", "Beta")) == (
        "contact Alpha was merged into Beta in Xero: confirm the mapping"
    )
    assert (
        contact_hold("c1", merged)
        == "contact Alpha was merged into c2 in Xero: confirm the mapping"
    )
    # What a webhook recorded on a link reads the same way.
    flagged = ContactSeen("c1", None, archived=True)
    assert (
        contact_hold("c1", flagged) == "contact c1 is archived in Xero: restore it or map another"
    )


def test_item_and_currency_decisions() -> None:
    assert item_hold("A", Item(code="A")) is None  # IsSold absent: Xero's default, sold
    assert item_hold("A", Item(code="A", is_sold=True)) is None
    assert item_hold("A", None) == "item A no longer exists in Xero: map the product again"
    assert "no longer sold" in (item_hold("A", Item(code="A", is_sold=False)) or "")
    assert currency_hold("EUR", {"USD", "EUR"}, "Org") is None
    assert (
        currency_hold("JPY", {"USD"}, "Org")
        == "JPY is not enabled in Org: add the currency in Xero"
    )


# ---------------------------------------------------------------------- the invariant
STATES = st.sampled_from(["active", "archived", "merged"])
WHEN = datetime(2026, 11, 1, tzinfo=UTC)


def _contact(n: int, state: str, survivor: int) -> Contact:
    raw: dict[str, Any] = {
        "ContactID": f"k{n}",
        "Name": f"Contact {n}",
        "ContactNumber": f"c{n}",
        "TaxNumber": f"T{n % 3}",
        "ContactStatus": "ACTIVE" if state == "active" else "ARCHIVED",
    }
    if state == "merged":
        raw["MergedToContactID"] = f"k{survivor}"
    return Contact.model_validate(raw)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(
    states=st.lists(STATES, min_size=1, max_size=6),
    links=st.lists(st.one_of(st.none(), st.integers(0, 5)), min_size=1, max_size=6),
    taxes=st.lists(st.integers(0, 3), min_size=6, max_size=6),
    survivors=st.lists(st.integers(0, 5), min_size=6, max_size=6),
)
def test_no_document_lands_on_an_archived_contact_or_another_customers(
    states: list[str], links: list[int | None], taxes: list[int], survivors: list[int]
) -> None:
    """Customers c0.. (each linked to a contact, or not), contacts k0.. (active, archived, or
    merged into another); the contact each customer's document would go to is the guard's and
    the matcher's decision: never archived or merged, never another customer's by matching."""
    contacts = [_contact(n, s, survivors[n] % len(states)) for n, s in enumerate(states)]
    seen = {c.contact_id or "": ContactSeen.of(c) for c in contacts}
    side = XeroSide(seen, {"X": Item(code="X")}, {"USD"}, "Org")
    mappings = {"P": ProductMapping(reseller_id="r", mpn="P", product_name="P", xero_item_code="X")}
    holders: dict[str, set[str]] = {}
    for n, linked in enumerate(links):
        if linked is not None and linked < len(contacts):
            holders.setdefault(f"k{linked}", set()).add(f"c{n}")
    for n, linked in enumerate(links):
        customer = MarketplaceCustomer(id=f"c{n}", name=f"Customer {n}", tax_reg_id=f"T{taxes[n]}")
        target = f"k{linked}" if linked is not None and linked < len(contacts) else None
        if target is None:  # the matcher decides
            choice = choose_contact(customer, contacts, holders)
            landed = choice.linked
            if landed is not None:
                assert not (holders.get(landed.contact_id or "", set()) - {customer.id})
        else:  # the reseller's link, unless the guard holds the task
            link = CustomerLink(reseller_id="r", customer_id=customer.id, xero_contact_id=target)
            held = order_hold(_order(customer.id), Settings(), link, mappings, side)
            landed = None if held else next(c for c in contacts if c.contact_id == target)
        if landed is not None:
            assert not landed.archived and not landed.merged_to_contact_id


def _order(customer_id: str) -> MarketplaceOrder:
    price = Money(amount=Decimal(4), currency="USD")
    line = OrderLine(
        kind=LineKind.CHARGE, mpn="P", quantity=Decimal(1), unit_price=price, extended_price=price
    )
    return MarketplaceOrder(
        id="o1",
        order_number="SO1",
        type=OrderType.SALES,
        status=OrderStatus.COMPLETED,
        customer_id=customer_id,
        created_at=WHEN,
        total=price,
        lines=(line,),
    )
