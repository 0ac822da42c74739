"""Stage 2, reconcile with Xero: a task that may have reached Xero before (sent, or its worker
died) first adopts what Xero already has for its order, so that nothing is made twice.

A document of the order that was voided or deleted in Xero counts too: the task ends synced
with Xero's side saying so (drift, for the reseller to decide), and the document is not made
again unless the reseller said so (`SyncTask.remake_confirmed`, the drift report's remake)."""

from __future__ import annotations

from dataclasses import replace

from cbxero.domain.documents import lines_of_order, reference_entries
from cbxero.domain.errors import NotFound
from cbxero.domain.model import TaskStatus, XeroDocumentRef
from cbxero.domain.xero import CreditNote, Invoice
from cbxero.domain.xero_side import side_of_credit_note, side_of_invoice
from cbxero.services.sync.work import Run, Work

GONE = ("VOIDED", "DELETED")


def reconcile(run: Run, work: list[Work]) -> list[Work]:
    """The work with the documents Xero already holds for it; only the tasks still open."""
    looked = [w for w in work if w.task.may_have_reached_xero]
    if looked:
        found = _found(run, looked)
        work = [found.get(w.task.order_id, w) for w in work]
        for w in work:
            if _gone(w) and run.is_open(w):
                _drifted(run, w)
    return [w for w in work if run.is_open(w)]


def _gone(w: Work) -> bool:
    return any(d is not None and d.status in GONE for d in (w.invoice, w.credit_note))


def _drifted(run: Run, w: Work) -> None:
    """The order's document was voided or deleted in Xero: recorded as Xero's side, never
    made again by itself."""
    now = run.ports.clock.now()
    document = credit = None
    if w.invoice is not None and w.invoice.invoice_id:
        side = side_of_invoice(w.invoice, now)
        label = f"invoice {w.invoice.invoice_number or w.invoice.invoice_id}"
        document = XeroDocumentRef(
            kind="invoice", id=w.invoice.invoice_id, number=w.invoice.invoice_number
        )
    if w.credit_note is not None and w.credit_note.credit_note_id:
        credit = XeroDocumentRef(
            kind="credit_note",
            id=w.credit_note.credit_note_id,
            number=w.credit_note.credit_note_number,
        )
        if document is None:
            side = side_of_credit_note(w.credit_note, now)
            label = f"credit note {w.credit_note.credit_note_number or credit.id}"
    task = w.task.model_copy(update={"xero_side": side})
    run.ledger.end(
        task,
        TaskStatus.SYNCED,
        None,
        document=document,
        credit_note=credit,
        note=f"{label} was {side.state.value} in Xero: it is not made again unless you "
        "choose remake in the drift report",
        follow_up=True,
    )


def _found(run: Run, work: list[Work]) -> dict[str, Work]:
    numbers = [w.order.order_number for w in work]
    invoices: dict[str, Invoice] = {}
    for found_invoice in run.xero.invoices_by_reference(numbers):
        for number in reference_entries(found_invoice.reference):
            invoices[number] = _live_first(invoices.get(number), found_invoice)
    with_refunds = [w.order.order_number for w in work if w.plan.refunds]
    notes: dict[str, CreditNote] = {}
    for held in run.xero.credit_notes_by_reference(with_refunds) if with_refunds else []:
        if held.reference:
            notes[held.reference] = _live_first(notes.get(held.reference), held)
    found = {}
    for w in work:
        number = w.order.order_number
        # Told to make it again (the drift report's remake): a voided one is not the order's.
        invoice: Invoice | None = invoices.get(number)
        note: CreditNote | None = notes.get(number)
        if w.task.remake_confirmed:
            invoice = None if invoice is not None and invoice.status in GONE else invoice
            note = None if note is not None and note.status in GONE else note
        if w.plan.charges:
            w = replace(w, invoice=invoice or _target_holding(run, w))
        if w.plan.refunds:
            w = replace(w, credit_note=note)
        found[w.task.order_id] = w
    return found


def _live_first[D: (Invoice, CreditNote)](kept: D | None, seen: D) -> D:
    """Of two documents for one order, the one still live (a voided one made again later)."""
    if kept is None or kept.status in GONE:
        return seen
    return kept


def _target_holding(run: Run, w: Work) -> Invoice | None:
    """The existing invoice recorded on the task, if our lines made it there: lines that
    carry the order's mark (the Reference may have had no room for its number)."""
    if not w.task.target_invoice_id:
        return None
    try:
        target = run.xero.invoice(w.task.target_invoice_id)
    except NotFound:
        return None  # gone from Xero: the lines go out again
    number = w.order.order_number
    if lines_of_order(target.line_items, number):
        return target
    return target if number in reference_entries(target.reference) else None
