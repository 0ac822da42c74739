"""Drift between the marketplace, the tasks and Xero, for a period: every difference, what it
concerns, a message a finance person understands, and the repair proposed.

A pure comparison: the reconcile service reads the three sides and hands them over whole; it
acts on a repair only when the reseller asks for it (nothing is re-made without their word).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from cbxero.domain.documents import DocumentPlan, PlanRefused, mapping_key, reference_entries
from cbxero.domain.marketplace import MarketplaceOrder
from cbxero.domain.model import CustomerLink, LineEdit, ProductMapping, SyncTask, TaskStatus
from cbxero.domain.reconcile import totals_verdict
from cbxero.domain.settings import Settings
from cbxero.domain.xero import Contact, CreditNote, Invoice, Item

GONE = frozenset({"VOIDED", "DELETED"})


class DriftKind(StrEnum):
    ORDER_WITHOUT_TASK = "order_without_task"
    TASK_WITHOUT_DOCUMENT = "task_without_document"
    DOCUMENT_WITHOUT_TASK = "document_without_task"
    DUPLICATE_DOCUMENT = "duplicate_document"
    TOTALS_DIFFER = "totals_differ"
    DOCUMENT_VOIDED = "document_voided"
    DOCUMENT_DELETED = "document_deleted"
    CONTACT_ARCHIVED = "contact_archived"
    CONTACT_MERGED = "contact_merged"
    ITEM_DELETED = "item_deleted"


class Repair(StrEnum):
    CREATE_TASK = "create_task"  # a task for an order that has none (nothing is sent)
    RESYNC = "resync"  # the task back to new, to be synced again
    REMAKE = "remake"  # a voided or deleted document made again: the reseller's word only
    ADOPT = "adopt"  # an existing Xero document of ours becomes the task's (nothing is sent)
    REMAP = "remap"  # a customer to another contact, a product to another item
    IGNORE = "ignore"  # acknowledged: not listed again


class Difference(BaseModel):
    """One difference: its kind, what it concerns, what it means, and the repairs that fit
    (the first is the one proposed)."""

    model_config = ConfigDict(frozen=True)

    key: str
    kind: DriftKind
    message: str
    repairs: tuple[Repair, ...]
    order_id: str | None = None
    order_number: str | None = None
    customer_id: str | None = None
    task_id: str | None = None
    document_ids: tuple[str, ...] = ()
    contact_id: str | None = None
    suggested_contact_id: str | None = None
    mpn: str | None = None
    item_code: str | None = None

    @property
    def proposed(self) -> Repair:
        return self.repairs[0]


@dataclass(frozen=True)
class DriftWorld:
    """What the three sides say for a period. `invoices` and `credit_notes` hold our
    documents found by reference and the tasks' documents read by id (any status); a task's
    document Xero does not know at all is taken as deleted."""

    settings: Settings
    orders: Sequence[MarketplaceOrder]
    tasks: Sequence[SyncTask]
    invoices: Sequence[Invoice] = ()
    credit_notes: Sequence[CreditNote] = ()
    links: Sequence[CustomerLink] = ()
    contacts: Mapping[str, Contact] = field(default_factory=dict)
    mappings: Sequence[ProductMapping] = ()
    items: Mapping[str, Item] = field(default_factory=dict)


def find_drift(world: DriftWorld, ignored: frozenset[str] = frozenset()) -> list[Difference]:
    """Every difference between the sides, in a stable order, less those the reseller ignored."""
    found = [
        *_orders_and_tasks(world),
        *_documents(world),
        *_contacts(world),
        *_items(world),
    ]
    return [d for d in sorted(found, key=lambda d: d.key) if d.key not in ignored]


def _orders_and_tasks(world: DriftWorld) -> list[Difference]:
    tasks = {task.order_id: task for task in world.tasks}
    invoices = {i.invoice_id: i for i in world.invoices if i.invoice_id}
    notes = {n.credit_note_id: n for n in world.credit_notes if n.credit_note_id}
    mappings = {m.mpn: m for m in world.mappings}
    found: list[Difference] = []
    for order in world.orders:
        task = tasks.get(order.id)
        if task is None:
            found.append(
                Difference(
                    key=f"{DriftKind.ORDER_WITHOUT_TASK}:{order.id}",
                    kind=DriftKind.ORDER_WITHOUT_TASK,
                    message=f"Order {order.order_number} has no sync task: it was never picked "
                    "up, so it is in neither the task list nor Xero.",
                    repairs=(Repair.CREATE_TASK, Repair.IGNORE),
                    order_id=order.id,
                    order_number=order.order_number,
                    customer_id=order.customer_id,
                )
            )
            continue
        if task.status is not TaskStatus.SYNCED:
            continue
        plan = _plan(order, world.settings, mappings, world.items, task.edits)
        refs = [r for r in (task.document, task.credit_note) if r is not None]
        if not refs:
            if plan is not None and plan.moves_money:
                found.append(_about(task, DriftKind.TASK_WITHOUT_DOCUMENT, ()))
            continue
        gone = [
            (ref.id, _status_of(ref.kind, ref.id, invoices, notes) or "DELETED") for ref in refs
        ]
        gone = [(doc_id, status) for doc_id, status in gone if status in GONE]
        side = task.xero_side
        if not gone and side is not None and side.state.is_drift:
            gone = [(refs[0].id, side.state.value.upper())]
        if gone:
            kind = (
                DriftKind.DOCUMENT_VOIDED
                if all(status == "VOIDED" for _, status in gone)
                else DriftKind.DOCUMENT_DELETED
            )
            found.append(_about(task, kind, tuple(doc_id for doc_id, _ in gone)))
            continue
        invoice = invoices.get(task.document.id) if task.document else None
        note = notes.get(task.credit_note.id) if task.credit_note else None
        if plan is None:
            continue
        verdict = totals_verdict(plan, world.settings, invoice, note)
        if not verdict.agrees:
            found.append(
                _about(task, DriftKind.TOTALS_DIFFER, tuple(r.id for r in refs), verdict.problem)
            )
    return found


def _plan(
    order: MarketplaceOrder,
    settings: Settings,
    mappings: Mapping[str, ProductMapping],
    items: Mapping[str, Item],
    edits: Sequence[LineEdit] = (),
) -> DocumentPlan | None:
    """The documents the order should have made, with the lines the reseller edited when
    syncing it by hand as edited (those are what Xero was meant to get)."""
    wanted = {mapping_key(line) for line in order.lines}
    try:
        return DocumentPlan.build(
            order,
            settings,
            {k: m for k, m in mappings.items() if k in wanted},
            dict(items),
            tuple(edits),
        )
    except PlanRefused:
        return None  # nothing to hold Xero to: the task list shows why it cannot be planned


def _status_of(
    kind: str, doc_id: str, invoices: Mapping[str, Invoice], notes: Mapping[str, CreditNote]
) -> str | None:
    doc: Invoice | CreditNote | None = (
        notes.get(doc_id) if kind == "credit_note" else invoices.get(doc_id)
    )
    return doc.status if doc is not None else None


_TASK_MESSAGES = {
    DriftKind.TASK_WITHOUT_DOCUMENT: (
        "Order {n} is marked synced, but no Xero document was recorded for it although it "
        "moves money.",
        (Repair.RESYNC, Repair.IGNORE),
    ),
    DriftKind.DOCUMENT_VOIDED: (
        "Order {n}'s document was voided in Xero; the task still says synced. It is not made "
        "again unless you say so.",
        (Repair.IGNORE, Repair.REMAKE),
    ),
    DriftKind.DOCUMENT_DELETED: (
        "Order {n}'s document was deleted in Xero; the task still says synced. It is not made "
        "again unless you say so.",
        (Repair.IGNORE, Repair.REMAKE),
    ),
    DriftKind.TOTALS_DIFFER: (
        "Order {n}: {problem}. Correct the document in Xero, then acknowledge.",
        (Repair.IGNORE,),
    ),
}


def _about(
    task: SyncTask, kind: DriftKind, document_ids: tuple[str, ...], problem: str | None = None
) -> Difference:
    message, repairs = _TASK_MESSAGES[kind]
    return Difference(
        key=f"{kind}:{task.order_id}",
        kind=kind,
        message=message.format(n=task.order_number, problem=problem),
        repairs=repairs,
        order_id=task.order_id,
        order_number=task.order_number,
        customer_id=task.customer_id,
        task_id=task.task_id,
        document_ids=document_ids,
    )


def _documents(world: DriftWorld) -> list[Difference]:
    """Live documents whose Reference names an order of the period but which no task holds:
    one alone, for an order whose task has none of that kind, can be adopted; any other is a
    second document for the order (made by hand, or twice)."""
    orders = {o.order_number: o for o in world.orders}
    tasks = {t.order_id: t for t in world.tasks}
    held = {r.id for t in world.tasks for r in (t.document, t.credit_note) if r is not None}
    loose: dict[tuple[str, str], list[str]] = defaultdict(list)
    docs: list[tuple[str, str | None, str | None, str]] = [
        ("invoice", i.invoice_id, i.reference, i.status) for i in world.invoices
    ] + [("credit_note", n.credit_note_id, n.reference, n.status) for n in world.credit_notes]
    for kind, doc_id, reference, status in docs:
        if doc_id is None or doc_id in held or status in GONE:
            continue
        for number in reference_entries(reference):
            if number in orders:
                loose[(number, kind)].append(doc_id)
    found: list[Difference] = []
    for (number, kind), doc_ids in sorted(loose.items()):
        order = orders[number]
        task = tasks.get(order.id)
        ref = (task.document if kind == "invoice" else task.credit_note) if task else None
        label = "invoice" if kind == "invoice" else "credit note"
        if ref is None and len(doc_ids) == 1:
            found.append(
                Difference(
                    key=f"{DriftKind.DOCUMENT_WITHOUT_TASK}:{order.id}:{kind}",
                    kind=DriftKind.DOCUMENT_WITHOUT_TASK,
                    message=f"Xero holds {label} {doc_ids[0]} for order {number}, but no task "
                    "records it (made by hand, or its answer was lost). Adopting it marks the "
                    "order synced without sending anything.",
                    repairs=(Repair.ADOPT, Repair.IGNORE),
                    order_id=order.id,
                    order_number=number,
                    customer_id=order.customer_id,
                    task_id=task.task_id if task else None,
                    document_ids=tuple(doc_ids),
                )
            )
            continue
        found.append(
            Difference(
                key=f"{DriftKind.DUPLICATE_DOCUMENT}:{order.id}:{kind}",
                kind=DriftKind.DUPLICATE_DOCUMENT,
                message=f"Order {number} has more than one {label} in Xero "
                f"({', '.join(sorted(doc_ids + ([ref.id] if ref else [])))}): void the extra "
                "one in Xero, then acknowledge.",
                repairs=(Repair.IGNORE,),
                order_id=order.id,
                order_number=number,
                customer_id=order.customer_id,
                task_id=task.task_id if task else None,
                document_ids=tuple(sorted(doc_ids)),
            )
        )
    return found


def _named(world: DriftWorld, contact_id: str) -> str:
    """A contact as a person knows it: its name (and id), or its id when it was not read."""
    contact = world.contacts.get(contact_id)
    return f"{contact.name} ({contact_id})" if contact is not None else contact_id


def _contacts(world: DriftWorld) -> list[Difference]:
    found: list[Difference] = []
    holders: dict[str, list[str]] = {}
    for link in world.links:
        if link.xero_contact_id:
            holders.setdefault(link.xero_contact_id, []).append(link.customer_id)
    for link in world.links:
        contact = world.contacts.get(link.xero_contact_id or "")
        if contact is None:
            continue
        if contact.merged_to_contact_id:
            survivor = contact.merged_to_contact_id
            # Merged into another customer's contact: only the reseller can say it is right.
            others = [c for c in holders.get(survivor, []) if c != link.customer_id]
            advice = (
                f", which customer {', '.join(others)} is mapped to: name the contact to map "
                "the customer to"
                if others
                else ": map the customer to that one"
            )
            found.append(
                Difference(
                    key=f"{DriftKind.CONTACT_MERGED}:{link.customer_id}:{contact.contact_id}",
                    kind=DriftKind.CONTACT_MERGED,
                    message=f"Customer {link.customer_id} is mapped to Xero contact "
                    f"{contact.name}, which was merged into another contact, "
                    f"{_named(world, survivor)}{advice}.",
                    repairs=(Repair.REMAP, Repair.IGNORE),
                    customer_id=link.customer_id,
                    contact_id=contact.contact_id,
                    suggested_contact_id=None if others else survivor,
                )
            )
        elif contact.archived:
            found.append(
                Difference(
                    key=f"{DriftKind.CONTACT_ARCHIVED}:{link.customer_id}:{contact.contact_id}",
                    kind=DriftKind.CONTACT_ARCHIVED,
                    message=f"Customer {link.customer_id} is mapped to Xero contact "
                    f"{contact.name}, which is archived: map the customer to an active contact.",
                    repairs=(Repair.REMAP, Repair.IGNORE),
                    customer_id=link.customer_id,
                    contact_id=contact.contact_id,
                )
            )
    return found


def _items(world: DriftWorld) -> list[Difference]:
    return [
        Difference(
            key=f"{DriftKind.ITEM_DELETED}:{mapping.mpn}:{mapping.xero_item_code}",
            kind=DriftKind.ITEM_DELETED,
            message=f"Product {mapping.product_name} is mapped to Xero item "
            f"{mapping.xero_item_code}, which is no longer in Xero: map it to another item.",
            repairs=(Repair.REMAP, Repair.IGNORE),
            mpn=mapping.mpn,
            item_code=mapping.xero_item_code,
        )
        for mapping in world.mappings
        if mapping.xero_item_code not in world.items
    ]


def resynced(task: SyncTask, now: datetime, reason: str, *, remake: bool = False) -> SyncTask:
    """A task sent back to new on the reseller's word, its old document forgotten: a synced
    task has no legal way back otherwise (a repair, never the sync itself). `remake`: the
    voided or deleted document found by the order's reference is no longer the order's, until
    one is made (a worker that dies after taking the task up must not take it for done)."""
    return task.model_copy(
        update={
            "remake_confirmed": remake,
            "status": TaskStatus.NEW,
            "reason": reason,
            "document": None,
            "credit_note": None,
            "xero_side": None,
            "line_item_ids": (),
            "sent": False,
            "retry_at": None,
            "edits": (),
            "target": None,
            "target_invoice_id": None,
            "updated_at": now,
        }
    )


def counts(differences: Sequence[Difference]) -> dict[str, int]:
    """How many differences of each kind (the dashboard's figures)."""
    tally: dict[str, int] = defaultdict(int)
    for difference in differences:
        tally[difference.kind.value] += 1
    return dict(sorted(tally.items()))
