"""Stage 4, credit notes and allocations: an order's refunds become a credit note (many to a
call), whose credit is applied to the invoice it belongs with while that invoice has a balance.
When it cannot be applied, the task says why and what the reseller can do."""

from __future__ import annotations

from dataclasses import replace

from cbxero.domain.documents import CENT
from cbxero.domain.errors import DocumentRejected
from cbxero.domain.idempotency import idempotency_key
from cbxero.domain.model import TaskStatus
from cbxero.domain.reconcile import credit_to_apply
from cbxero.domain.xero import Allocation, InvoiceRef
from cbxero.services.sync.work import Run, Work, in_batches, xero_errors


def send_credit_notes(run: Run, work: list[Work]) -> list[Work]:
    """The work with each refund's credit note and what became of its credit; only the tasks
    still open."""
    by_task = {w.task.order_id: w for w in work}
    refunds = [w for w in work if w.plan.refunds]
    for w, result in in_batches(
        run,
        [w for w in refunds if w.credit_note is None],
        lambda w: w.plan.credit_note(w.contact_id, run.settings),
        run.xero.create_credit_notes,
        "credit-notes",
    ):
        if result.has_errors:
            message = xero_errors(result.validation_errors)
            run.ledger.end(
                w.task, TaskStatus.ACTION_REQUIRED, f"Xero refused the credit note: {message}"
            )
        else:
            by_task[w.task.order_id] = replace(w, credit_note=result)
    for order_id in [w.task.order_id for w in refunds]:
        w = by_task[order_id]
        if run.is_open(w) and w.credit_note is not None:
            by_task[order_id] = _allocate(run, w)
    return [w for w in by_task.values() if run.is_open(w)]


def _allocate(run: Run, w: Work) -> Work:
    """Apply the credit to the invoice it belongs with, while that invoice has a balance."""
    note = w.credit_note
    if note is None or note.credit_note_id is None or note.allocations:
        return w
    unallocated = f"credit note {note.credit_note_number} is not allocated: "
    # The reseller has something to do in Xero unless the whole credit is applied below.
    w = replace(w, follow_up=True)
    if note.status != "AUTHORISED":
        # Xero allocates only AUTHORISED credit notes, and only to AUTHORISED invoices.
        return replace(
            w,
            credited=unallocated
            + (
                "Xero allocates only approved (AUTHORISED) credit notes, to approved invoices, "
                f"and new documents are {note.status} here (setting new_invoice_status: "
                f"{run.settings.new_invoice_status.value}). Approve the credit note and the "
                "customer's invoice in Xero and apply the credit there, or set "
                "new_invoice_status to AUTHORISED for the next ones"
            ),
        )
    invoice = w.invoice or run.xero.latest_invoice_due(w.contact_id, w.plan.currency)
    split = credit_to_apply(
        note.remaining_credit, note.total, invoice.amount_due if invoice else None
    )
    if invoice is None or invoice.invoice_id is None or split.amount <= 0:
        return replace(
            w,
            credited=unallocated
            + (
                f"no invoice of the customer has an amount due in {w.plan.currency}; the credit "
                "stays on the contact in Xero, to apply to a later invoice or refund there"
            ),
        )
    try:
        run.xero.allocate(
            note.credit_note_id,
            Allocation(
                invoice=InvoiceRef(invoice_id=invoice.invoice_id),
                amount=split.amount,
                date=w.plan.day,
            ),
            idempotency_key(run.reseller_id, w.task.order_id, "allocate"),
        )
    except DocumentRejected as refused:
        return replace(w, credited=unallocated + f"Xero refused: {refused.message}")
    credited = f"{split.amount.quantize(CENT)} credited to invoice {invoice.invoice_number}"
    if split.left > 0:  # more credit than that invoice owed: the rest waits on the contact
        return replace(
            w,
            credited=credited + f"; {split.left.quantize(CENT)} stays on the contact in Xero, "
            "to apply to another invoice or refund there",
        )
    return replace(w, credited=credited, follow_up=False)
