"""Stage 5, finish: each task ends synced when Xero's figures agree with the order's, else
waiting for the reseller; the ended tasks, once stored, are told to the Action Log."""

from __future__ import annotations

from dataclasses import replace

from cbxero.domain.model import LogStatus, TaskStatus, XeroDocumentRef
from cbxero.domain.reconcile import taxes_compared, totals_verdict
from cbxero.services.sync.ledger import Ended
from cbxero.services.sync.work import Run, Work, note

_LOG_STATUS = {TaskStatus.SYNCED: LogStatus.SUCCESS, TaskStatus.FAILED: LogStatus.ERROR}


def nothing_to_send(run: Run, work: list[Work]) -> list[Work]:
    """Orders that move no money (no fees, or quantity changes only) are done at once; the
    rest of the work goes on."""
    for w in work:
        if not w.plan.moves_money:
            _finish(run, w, TaskStatus.SYNCED, None)
    return [w for w in work if run.is_open(w)]


def complete(run: Run, work: list[Work]) -> None:
    """Every task still open ends: synced when the totals agree, else waiting."""
    for w in work:
        if not run.is_open(w):
            continue
        verdict = totals_verdict(w.plan, run.settings, w.invoice, w.credit_note)
        if verdict.line_item_ids:
            w = replace(w, task=w.task.model_copy(update={"line_item_ids": verdict.line_item_ids}))
        if verdict.note:
            w = replace(w, task=w.task.model_copy(update={"note": verdict.note}))
        if differences := taxes_compared(w.plan, w.invoice, w.credit_note):
            # Shown, not hidden: on the task, in its note and (as an action) in the Action Log.
            said = "tax differs from the marketplace's: " + "; ".join(differences)
            update = {"tax_differences": differences, "note": _joined(w.task.note, said)}
            w = replace(w, task=w.task.model_copy(update=update), follow_up=True)
        if verdict.problem is not None:
            _finish(run, w, TaskStatus.ACTION_REQUIRED, verdict.problem)
        elif w.waiting is not None:  # its documents are in Xero; a payment waits
            _finish(run, w, TaskStatus.ACTION_REQUIRED, w.waiting)
        else:
            _finish(run, w, TaskStatus.SYNCED, None)


def _joined(*parts: str | None) -> str:
    return "; ".join(part for part in parts if part)


def _finish(run: Run, w: Work, status: TaskStatus, reason: str | None) -> None:
    document = credit = None
    if w.invoice is not None and w.invoice.invoice_id:
        document = XeroDocumentRef(
            kind="invoice",
            id=w.invoice.invoice_id,
            number=w.invoice.invoice_number,
            total=w.invoice.total,
        )
    if w.credit_note is not None and w.credit_note.credit_note_id:
        credit = XeroDocumentRef(
            kind="credit_note",
            id=w.credit_note.credit_note_id,
            number=w.credit_note.credit_note_number,
            total=w.credit_note.total,
        )
    # This run's notes; a note kept from an earlier attempt is not said twice.
    parts = [w.task.note if w.task.note != w.note_before else None, w.credited, w.paid]
    if w.plan.quantity_changes:
        parts.append(
            "quantity change recorded, no money moved (downgrades: quantity only): "
            + "; ".join(w.plan.quantity_changes)
        )
    elif not w.plan.moves_money:
        parts.append("nothing to invoice: the order has no fees")
    said = "; ".join(part for part in parts if part) or None
    run.ledger.end(
        w.task,
        status,
        reason,
        document=document,
        credit_note=credit,
        note=said,
        follow_up=w.follow_up,
    )


def tell(run: Run, ended: Ended) -> None:
    """The Action Log entry for a task this run ended and stored."""
    status = _LOG_STATUS.get(ended.done.status, LogStatus.ACTION_REQUIRED)
    if ended.follow_up and status is LogStatus.SUCCESS:
        status = LogStatus.ACTION_REQUIRED  # e.g. a credit note left to apply by hand
    note(run.ports, run.settings, ended.done, status, ended.message, actor=run.actor)
