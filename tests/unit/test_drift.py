"""The drift report's comparison: a seeded world with one case of each kind finds each case and
nothing else; consistent books give an empty report."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from cbxero.domain.drift import (
    DriftKind,
    DriftWorld,
    Repair,
    counts,
    find_drift,
    resynced,
)
from cbxero.domain.marketplace import (
    LineKind,
    MarketplaceOrder,
    Money,
    OrderLine,
    OrderStatus,
    OrderType,
)
from cbxero.domain.model import (
    CustomerLink,
    LineEdit,
    ProductMapping,
    SyncTask,
    TaskStatus,
    XeroDocumentRef,
    XeroSide,
    XeroState,
)
from cbxero.domain.settings import DowngradeMode, Settings
from cbxero.domain.xero import Contact, ContactRef, Invoice, Item, LineItem

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def order(n: int, quantity: int = 2, price: str = "5.00") -> MarketplaceOrder:
    amount = Decimal(price) * quantity
    return MarketplaceOrder(
        id=str(1000 + n),
        order_number=f"SO{n}",
        type=OrderType.SALES,
        status=OrderStatus.COMPLETED,
        customer_id=f"c{n}",
        created_at=NOW + timedelta(hours=n),
        total=Money(amount=amount, currency="EUR"),
        lines=(
            OrderLine(
                kind=LineKind.CHARGE,
                mpn="P1",
                description="Teams",
                quantity=Decimal(quantity),
                unit_price=Money(amount=Decimal(price), currency="EUR"),
                extended_price=Money(amount=amount, currency="EUR"),
            ),
        ),
    )


def invoice_for(o: MarketplaceOrder, invoice_id: str | None = None) -> Invoice:
    amount = o.total.amount
    return Invoice(
        invoice_id=invoice_id or f"inv-{o.id}",
        contact=ContactRef(contact_id=f"x-{o.customer_id}"),
        line_items=(LineItem(description="Teams", quantity=Decimal(2), unit_amount=amount / 2),),
        reference=o.order_number,
        status="AUTHORISED",
        sub_total=amount,
        total=amount,
    )


def consistent(size: int) -> DriftWorld:
    """Books in step: every order has a synced task holding its invoice, every customer an
    active contact, every product an item that exists."""
    orders = [order(n) for n in range(size)]
    tasks = [
        SyncTask.from_order("r1", o, NOW)
        .moved_to(TaskStatus.PROCESSING, NOW)
        .moved_to(
            TaskStatus.SYNCED,
            NOW,
            document=XeroDocumentRef(kind="invoice", id=f"inv-{o.id}", total=o.total.amount),
        )
        for o in orders
    ]
    return DriftWorld(
        settings=Settings(),
        orders=orders,
        tasks=tasks,
        invoices=[invoice_for(o) for o in orders],
        links=[
            CustomerLink(reseller_id="r1", customer_id=o.customer_id, xero_contact_id=f"x-{n}")
            for n, o in enumerate(orders)
        ],
        contacts={
            f"x-{n}": Contact(contact_id=f"x-{n}", name=f"Customer {n}", contact_status="ACTIVE")
            for n in range(size)
        },
        mappings=[
            ProductMapping(reseller_id="r1", mpn="P1", product_name="Teams", xero_item_code="TEAMS")
        ],
        items={"TEAMS": Item(code="TEAMS", item_id="it-1")},
    )


def inject(world: DriftWorld, kind: DriftKind, n: int) -> DriftWorld:
    """One case of `kind` on order n (each kind on an order of its own)."""
    tasks = list(world.tasks)
    invoices = list(world.invoices)
    o = world.orders[n]
    without_invoice = [i for i in invoices if i.invoice_id != f"inv-{o.id}"]
    mine = next(i for i in invoices if i.invoice_id == f"inv-{o.id}")
    at = next(k for k, t in enumerate(tasks) if t.order_id == o.id)
    task = tasks[at]
    if kind is DriftKind.ORDER_WITHOUT_TASK:
        return replace(world, tasks=tasks[:at] + tasks[at + 1 :], invoices=without_invoice)
    if kind is DriftKind.TASK_WITHOUT_DOCUMENT:
        tasks[at] = task.model_copy(update={"document": None})
        return replace(world, tasks=tasks, invoices=without_invoice)
    if kind is DriftKind.DOCUMENT_WITHOUT_TASK:  # the answer was lost: the task failed
        tasks[at] = task.model_copy(update={"document": None, "status": TaskStatus.FAILED})
        return replace(world, tasks=tasks)
    if kind is DriftKind.DUPLICATE_DOCUMENT:
        return replace(world, invoices=[*invoices, invoice_for(o, "by-hand")])
    if kind is DriftKind.TOTALS_DIFFER:
        wrong = mine.model_copy(update={"sub_total": mine.sub_total + 1})  # type: ignore[operator]
        return replace(world, invoices=[*without_invoice, wrong])
    if kind is DriftKind.DOCUMENT_VOIDED:
        return replace(
            world, invoices=[*without_invoice, mine.model_copy(update={"status": "VOIDED"})]
        )
    if kind is DriftKind.DOCUMENT_DELETED:  # Xero no longer knows it
        return replace(world, invoices=without_invoice)
    contacts = dict(world.contacts)
    if kind is DriftKind.CONTACT_ARCHIVED:
        contacts[f"x-{n}"] = contacts[f"x-{n}"].model_copy(update={"contact_status": "ARCHIVED"})
        return replace(world, contacts=contacts)
    if kind is DriftKind.CONTACT_MERGED:  # into a contact no other customer is mapped to
        contacts[f"x-{n}"] = contacts[f"x-{n}"].model_copy(
            update={"contact_status": "ARCHIVED", "merged_to_contact_id": "x-survivor"}
        )
        contacts["x-survivor"] = Contact(
            contact_id="x-survivor", name="Survivor", contact_status="ACTIVE"
        )
        return replace(world, contacts=contacts)
    assert kind is DriftKind.ITEM_DELETED
    gone = ProductMapping(reseller_id="r1", mpn="P9", product_name="Old", xero_item_code="OLD")
    return replace(world, mappings=[*world.mappings, gone])


KINDS = list(DriftKind)


@settings(derandomize=True, max_examples=150, deadline=None)
@given(st.sets(st.sampled_from(KINDS)), st.integers(0, 8))
def test_every_seeded_case_is_found_and_nothing_else(chosen: set[DriftKind], extra: int) -> None:
    world = consistent(len(KINDS) + 1 + extra)
    for n, kind in enumerate(sorted(chosen), start=1):  # order 0 stays in step (a merge target)
        world = inject(world, kind, n)
    found = find_drift(world)
    assert sorted(d.kind for d in found) == sorted(chosen)
    assert counts(found) == {k.value: 1 for k in chosen}


@settings(derandomize=True, max_examples=50, deadline=None)
@given(st.integers(0, 30))
def test_consistent_books_give_an_empty_report(size: int) -> None:
    assert find_drift(consistent(size)) == []


def test_every_case_at_once_names_what_it_concerns() -> None:
    world = consistent(len(KINDS) + 1)
    for n, kind in enumerate(KINDS, start=1):
        world = inject(world, kind, n)
    found = {d.kind: d for d in find_drift(world)}
    assert set(found) == set(KINDS)
    assert found[DriftKind.ORDER_WITHOUT_TASK].proposed is Repair.CREATE_TASK
    adopt = found[DriftKind.DOCUMENT_WITHOUT_TASK]
    assert adopt.proposed is Repair.ADOPT and adopt.document_ids == ("inv-1003",)
    assert found[DriftKind.DUPLICATE_DOCUMENT].document_ids == ("by-hand",)
    voided = found[DriftKind.DOCUMENT_VOIDED]
    assert voided.proposed is Repair.IGNORE and Repair.REMAKE in voided.repairs  # never by itself
    merged = found[DriftKind.CONTACT_MERGED]
    assert merged.suggested_contact_id == "x-survivor" and merged.proposed is Repair.REMAP
    assert "merged into another contact, Survivor (x-survivor):" in merged.message
    assert "totals disagree" in found[DriftKind.TOTALS_DIFFER].message
    assert found[DriftKind.ITEM_DELETED].item_code == "OLD"


def test_an_ignored_difference_is_not_listed_again() -> None:
    world = inject(consistent(3), DriftKind.DOCUMENT_VOIDED, 1)
    (difference,) = find_drift(world)
    assert find_drift(world, frozenset({difference.key})) == []


def test_xero_side_from_events_counts_as_drift() -> None:
    world = consistent(2)
    tasks = list(world.tasks)
    tasks[1] = tasks[1].model_copy(
        update={"xero_side": XeroSide(state=XeroState.DELETED, seen_at=NOW)}
    )
    (difference,) = find_drift(replace(world, tasks=tasks))
    assert difference.kind is DriftKind.DOCUMENT_DELETED


def test_a_quantity_only_task_needs_no_document() -> None:
    world = inject(consistent(2), DriftKind.TASK_WITHOUT_DOCUMENT, 1)
    downgrade = order(1)
    refund = downgrade.lines[0].model_copy(update={"kind": LineKind.REFUND})
    downgrade = downgrade.model_copy(update={"lines": (refund,)})
    quantity_only = Settings(downgrades=DowngradeMode.QUANTITY_ONLY)
    books = replace(world, orders=[world.orders[0], downgrade], settings=quantity_only)
    assert find_drift(books) == []
    assert [d.kind for d in find_drift(replace(books, settings=Settings()))] == [
        DriftKind.TASK_WITHOUT_DOCUMENT
    ]


def test_resynced_forgets_the_document() -> None:
    task = consistent(1).tasks[0]
    again = resynced(task, NOW, "re-sync requested")
    assert again.status is TaskStatus.NEW and again.document is None and not again.sent
    assert again.is_processable(NOW)


def test_a_line_edited_when_syncing_by_hand_is_not_drift() -> None:
    """The wizard's edits are what Xero was meant to get: an invoice that carries them agrees,
    and one that differs from the edited lines still does not."""
    world = consistent(2)
    edit = LineEdit(index=0, unit_amount=Decimal("4.00"), discount_amount=Decimal("1.00"))
    tasks = list(world.tasks)
    tasks[1] = tasks[1].model_copy(update={"edits": (edit,)})
    o = world.orders[1]
    edited = invoice_for(o).model_copy(update={"sub_total": Decimal("7.00")})  # 2 x 4 - 1
    invoices = [i for i in world.invoices if i.invoice_id != f"inv-{o.id}"]
    assert find_drift(replace(world, tasks=tasks, invoices=[*invoices, edited])) == []
    (found,) = find_drift(replace(world, tasks=tasks))  # Xero holds the order's 10.00
    assert found.kind is DriftKind.TOTALS_DIFFER
