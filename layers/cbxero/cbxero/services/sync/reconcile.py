"""Stage 2, reconcile with Xero: a task that may have reached Xero before (sent, or its worker
died) first adopts what Xero already has for its order, so that nothing is made twice."""

from __future__ import annotations

from dataclasses import replace

from cbxero.domain.documents import lines_of_order, reference_entries
from cbxero.domain.errors import NotFound
from cbxero.domain.xero import Invoice
from cbxero.services.sync.work import Run, Work


def reconcile(run: Run, work: list[Work]) -> list[Work]:
    """The work with the documents Xero already holds for it; only the tasks still open."""
    looked = [w for w in work if w.task.may_have_reached_xero]
    if looked:
        found = _found(run, looked)
        work = [found.get(w.task.order_id, w) for w in work]
    return [w for w in work if run.is_open(w)]


def _found(run: Run, work: list[Work]) -> dict[str, Work]:
    numbers = [w.order.order_number for w in work]
    invoices = {
        number: invoice
        for invoice in run.xero.invoices_by_reference(numbers)
        for number in reference_entries(invoice.reference)
    }
    with_refunds = [w.order.order_number for w in work if w.plan.refunds]
    notes = (
        {n.reference: n for n in run.xero.credit_notes_by_reference(with_refunds)}
        if with_refunds
        else {}
    )
    found = {}
    for w in work:
        number = w.order.order_number
        if w.plan.charges:
            w = replace(w, invoice=invoices.get(number) or _target_holding(run, w))
        if w.plan.refunds:
            w = replace(w, credit_note=notes.get(number))
        found[w.task.order_id] = w
    return found


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
