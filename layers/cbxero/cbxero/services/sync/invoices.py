"""Stage 3, invoices: an order's charges go onto the customer's latest editable invoice (or the
one chosen by hand) when lines are collected, else onto a new invoice, new ones sent many to a
call. Xero's refusals leave the task waiting for the reseller, saying why."""

from __future__ import annotations

from dataclasses import replace

from cbxero.domain.documents import reference_entries, with_reference
from cbxero.domain.errors import DocumentRejected, NotFound
from cbxero.domain.idempotency import idempotency_key
from cbxero.domain.model import TargetChoice, TaskStatus
from cbxero.domain.xero import Invoice
from cbxero.services.sync.work import Run, Work, in_batches, shares_invoice, xero_errors

NUMBER_TAKEN = "must be unique"
# The latest editable invoice of a (contact, currency), as far as this run knows; None: none.
Latest = dict[tuple[str, str], Invoice | None]


def send_invoices(run: Run, work: list[Work]) -> list[Work]:
    """The work with each task's invoice; only the tasks still open."""
    by_task = {w.task.order_id: w for w in work}
    latest: Latest = {}
    for w in work:
        if w.plan.charges and w.invoice is None and shares_invoice(w.task, run.settings):
            by_task[w.task.order_id] = _add_to_existing(run, w, latest)
    fresh = [w for w in by_task.values() if w.plan.charges and w.invoice is None and run.is_open(w)]
    for w in create_invoices(run, fresh):
        by_task[w.task.order_id] = w
    return [w for w in by_task.values() if run.is_open(w)]


def create_invoices(run: Run, work: list[Work]) -> list[Work]:
    """A new invoice for each task; an invoice number already taken by an earlier attempt of
    ours is adopted, one taken by another document is the reseller's to sort out."""
    made = []
    for w, result in in_batches(
        run,
        work,
        lambda w: w.plan.invoice(w.contact_id, run.settings),
        run.xero.create_invoices,
        "invoices",
    ):
        if not result.has_errors:
            made.append(replace(w, invoice=result))
            continue
        message = xero_errors(result.validation_errors)
        if NUMBER_TAKEN in message and result.invoice_number:
            owner = run.xero.invoice_by_number(result.invoice_number)
            if owner is not None and w.order.order_number in reference_entries(owner.reference):
                made.append(replace(w, invoice=owner))  # ours, made by an earlier attempt
                continue
            message = (
                f"invoice number {result.invoice_number} is already used in Xero "
                "by a document this integration did not make"
            )
        run.ledger.end(w.task, TaskStatus.ACTION_REQUIRED, f"Xero refused the invoice: {message}")
        made.append(w)
    return made


def _add_to_existing(run: Run, w: Work, latest: Latest) -> Work:
    """Our lines onto the customer's latest editable invoice (or the one chosen by hand),
    its own lines kept; a new invoice when there is none."""
    stop = run.ledger.end
    key = (w.contact_id, w.plan.currency)
    if w.task.target is TargetChoice.GIVEN and w.task.target_invoice_id:
        try:
            target: Invoice | None = run.xero.invoice(w.task.target_invoice_id)
        except NotFound:
            stop(w.task, TaskStatus.ACTION_REQUIRED, "the chosen Xero invoice is gone")
            return w
        if target is not None and not target.editable:
            stop(
                w.task,
                TaskStatus.ACTION_REQUIRED,
                f"Xero invoice {target.invoice_number} is locked (status {target.status}, "
                "or paid or credited) and cannot take more lines",
            )
            return w
    else:
        if key not in latest:
            latest[key] = run.xero.latest_editable_invoice(*key)
        target = latest[key]
    if target is None or target.invoice_id is None:
        return _start_invoice(run, w, latest)
    reference = with_reference(target.reference, w.order.order_number)
    if reference is None:  # no room left to name the order: a new invoice, never a stub
        if w.task.target is TargetChoice.GIVEN:
            stop(
                w.task,
                TaskStatus.ACTION_REQUIRED,
                f"Xero invoice {target.invoice_number}'s Reference has no room for another "
                "order number (255 characters): choose another invoice or a new one",
            )
            return w
        return _start_invoice(run, w, latest)
    # The ledger: where the lines are going is stored before they go; the lines carry the
    # order's mark, so a retry finds them there whatever the Reference holds.
    task = run.ledger.record(w.task, target_invoice_id=target.invoice_id)
    if task is None:
        return w
    w = replace(w, task=task)
    run.ledger.mark_sent([task.order_id])
    updated = target.model_copy(
        update={"line_items": (*target.line_items, *w.plan.charges), "reference": reference}
    )
    try:
        result = run.xero.update_invoice(
            updated, idempotency_key(run.reseller_id, task.order_id, f"add{task.attempts}")
        )
    except DocumentRejected as refused:
        if task.target is TargetChoice.GIVEN:
            stop(task, TaskStatus.ACTION_REQUIRED, f"Xero refused: {refused.message}")
        latest[key] = None  # it changed under us: the lines go on a new invoice
        return w
    latest[key] = result if result.editable else None
    return replace(w, invoice=result)


def _start_invoice(run: Run, w: Work, latest: Latest) -> Work:
    """A new invoice for this order, which the customer's next orders of the run join."""
    (w,) = create_invoices(run, [w])
    made = w.invoice if run.is_open(w) else None
    latest[(w.contact_id, w.plan.currency)] = made if made is not None and made.editable else None
    return w
