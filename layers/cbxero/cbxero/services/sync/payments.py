"""The payments stage, after credit notes (when the reseller pushes payments): each payment
the customer made for a synced order becomes a Xero payment against the order's invoice,
exactly once.

The ledger is on the task (`SyncTask.payments`): a payment is recorded there before the call
(no id: it may reach Xero) and after Xero answered (its PaymentID). A task whose ledger holds a
payment without an id (a lost answer, a worker that died) first looks in Xero by the payments'
references and adopts what it finds, so nothing is paid twice; each call carries an
Idempotency-Key derived from its payments. What to pay and whether Xero allows it now are
decided in `domain/payments.py`; a payment that waits (a draft invoice) leaves the task waiting
for the reseller, and it is made by a later run once the invoice is approved."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from cbxero.domain.idempotency import payments_key
from cbxero.domain.model import PaymentMade
from cbxero.domain.payments import (
    PaymentToMake,
    bank_account_problem,
    decide_payments,
    payment_records,
)
from cbxero.domain.xero import DOCUMENTS_PER_CALL, AccountRef, InvoiceRef, Payment
from cbxero.services.sync.work import Run, Work, xero_errors


def send_payments(run: Run, work: list[Work]) -> list[Work]:
    """The work with what became of each order's payments; only the tasks still open."""
    if not run.settings.push_payments:
        return work
    due = [
        w
        for w in work
        if run.is_open(w) and w.invoice is not None and w.invoice.invoice_id
        if _unpaid(w) or w.task.payments_waiting
    ]
    if not due:
        return work
    by_task = {w.task.order_id: w for w in work}
    problem = bank_account_problem(run.settings.payments_account_code, run.lists.accounts())
    if problem is not None:
        for w in due:
            by_task[w.task.order_id] = replace(w, waiting=f"payments wait: {problem}")
    else:
        _pay(run, by_task, due)
    for w in due:  # the task comes back by itself while a payment waits
        current = by_task[w.task.order_id]
        waits = current.waiting is not None
        if run.is_open(current) and current.task.payments_waiting != waits:
            task = run.ledger.record(current.task, payments_waiting=waits)
            if task is not None:
                by_task[w.task.order_id] = replace(current, task=task)
    return [w for w in by_task.values() if run.is_open(w)]


def _unpaid(w: Work) -> bool:
    """Whether a payment of the order is not yet in Xero as far as the task's ledger knows."""
    paid = {p.reference for p in w.task.payments if p.payment_id}
    return any(record.reference not in paid for record in payment_records(w.order))


def _pay(run: Run, by_task: dict[str, Work], due: list[Work]) -> None:
    planned: list[tuple[Work, PaymentToMake]] = []
    # What each invoice still owes as this run's payments are planned: two orders on one
    # invoice (or a credit applied to it a moment ago) never plan more than it owes.
    left: dict[str, Decimal] = {}
    for w in _fresh(run, [_adopt_sent(run, w) for w in _looked_up(run, due)]):
        invoice = w.invoice
        if invoice is None or not invoice.invoice_id:  # `due` holds invoiced tasks only
            continue
        owed = left.get(invoice.invoice_id, invoice.amount_due)
        decision = decide_payments(payment_records(w.order), w.task.payments, invoice.status, owed)
        left[invoice.invoice_id] = (owed or Decimal(0)) - sum(
            (p.amount for p in decision.to_make), Decimal(0)
        )
        # Something not recorded (an overpayment, a voided invoice) is the reseller's to see to.
        w = replace(
            w,
            waiting=decision.waiting,
            paid=decision.note,
            follow_up=w.follow_up or decision.note is not None,
        )
        by_task[w.task.order_id] = w
        planned += [(w, p) for p in decision.to_make]
    for start in range(0, len(planned), DOCUMENTS_PER_CALL):
        _send(run, by_task, planned[start : start + DOCUMENTS_PER_CALL])


def _fresh(run: Run, due: list[Work]) -> list[Work]:
    """The invoices read again just before paying (batched): a credit applied a moment ago,
    another order's lines added to the same invoice, a payment made by hand meanwhile all
    change what it owes."""
    ids = sorted({w.invoice.invoice_id for w in due if w.invoice and w.invoice.invoice_id})
    fresh = {i.invoice_id: i for i in run.xero.invoices(ids)} if ids else {}
    return [
        replace(w, invoice=fresh.get(w.invoice.invoice_id, w.invoice)) if w.invoice else w
        for w in due
    ]


def _looked_up(run: Run, due: list[Work]) -> list[Work]:
    """After any doubt (a payment sent whose answer was not recorded), Xero's payments of
    those references, adopted into the task's ledger."""
    doubtful = {p.reference for w in due for p in w.task.payments if p.payment_id is None}
    if not doubtful:
        return due
    found = {p.reference: p for p in run.xero.payments_by_reference(sorted(doubtful))}
    looked = []
    for w in due:
        ledger = tuple(
            p.model_copy(update={"payment_id": found[p.reference].payment_id})
            if p.payment_id is None and p.reference in found
            else p
            for p in w.task.payments
        )
        if ledger != w.task.payments:
            task = run.ledger.record(w.task, payments=ledger)
            w = replace(w, task=task) if task is not None else w
        looked.append(w)
    return looked


def _adopt_sent(run: Run, w: Work) -> Work:
    """A payment sent whose copy Xero does not hold (looked up just before) never reached it:
    out of the ledger, so that it is made now."""
    if not run.is_open(w) or all(p.payment_id for p in w.task.payments):
        return w
    task = run.ledger.record(w.task, payments=tuple(p for p in w.task.payments if p.payment_id))
    return replace(w, task=task) if task is not None else w


def _send(run: Run, by_task: dict[str, Work], chunk: list[tuple[Work, PaymentToMake]]) -> None:
    """One call of payments: each recorded on its task before the call, and its PaymentID after."""
    sending: list[tuple[Work, PaymentToMake]] = []
    for w, payment in chunk:
        current = by_task[w.task.order_id]
        if not run.is_open(current):
            continue
        made = PaymentMade(reference=payment.record.reference, amount=payment.amount)
        task = run.ledger.record(current.task, payments=(*current.task.payments, made))
        if task is None:
            continue
        by_task[w.task.order_id] = replace(current, task=task)
        sending.append((w, payment))
    if not sending:
        return
    code = run.settings.payments_account_code
    payments = [
        Payment(
            invoice=InvoiceRef(invoice_id=w.invoice.invoice_id if w.invoice else ""),
            account=AccountRef(code=code),
            date=p.record.day,
            amount=p.amount,
            reference=p.record.reference,
        )
        for w, p in sending
    ]
    key = payments_key(run.reseller_id, (f"{p.record.reference}={p.amount}" for _, p in sending))
    answers = run.xero.create_payments(payments, key)
    for (w, p), answer in zip(sending, answers, strict=True):
        current = by_task[w.task.order_id]
        reference = p.record.reference
        if answer.has_validation_errors or not answer.payment_id:
            kept = tuple(e for e in current.task.payments if e.reference != reference)
            refused = f"Xero refused the payment {reference}: " + xero_errors(
                answer.validation_errors
            )
            task = run.ledger.record(current.task, payments=kept)
            current = replace(current, task=task or current.task, waiting=refused)
        else:
            ledger = tuple(
                e.model_copy(update={"payment_id": answer.payment_id})
                if e.reference == reference
                else e
                for e in current.task.payments
            )
            task = run.ledger.record(current.task, payments=ledger)
            recorded = f"payment of {p.amount} recorded in Xero ({reference})"
            said = f"{current.paid}; {recorded}" if current.paid else recorded
            current = replace(current, task=task or current.task, paid=said)
        by_task[w.task.order_id] = current
