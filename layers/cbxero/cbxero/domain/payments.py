"""The marketplace's payments as Xero payments: which to make, how much, and whether Xero's
rules allow it now. Pure decisions; the sync's `payments` stage carries them out.

Xero takes a payment only on an AUTHORISED invoice and never more than its amount due. So:
- an invoice still DRAFT or SUBMITTED gets no payment: the payment waits, and the task says to
  approve the invoice; a later run makes it;
- a payment over what the invoice still owes is capped at the amount due, and the task says
  how much was not recorded. Capping, not waiting: nothing the product does would ever make
  the invoice owe more, so a waiting payment would wait for ever, while the money the
  customer paid beyond the invoice is an overpayment (a refund or a credit) that only the
  reseller can judge;
- a voided, deleted or fully paid invoice gets nothing, and the task says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from cbxero.domain.chart import Purpose, fits
from cbxero.domain.marketplace import LineKind, MarketplaceOrder
from cbxero.domain.model import PaymentMade
from cbxero.domain.xero import Account

CENT = Decimal("0.01")
WAIT_FOR_APPROVAL = frozenset({"DRAFT", "SUBMITTED"})


@dataclass(frozen=True)
class PaymentRecord:
    """One payment the customer made for an order, as the marketplace recorded it."""

    reference: str  # the order number and the payment's place among the order's payments
    amount: Decimal
    day: date


@dataclass(frozen=True)
class PaymentToMake:
    record: PaymentRecord
    amount: Decimal  # what Xero gets: the record's amount, or what the invoice still owes


@dataclass(frozen=True)
class PaymentDecision:
    """What to pay now, and what the task says about the rest (None: nothing to say)."""

    to_make: tuple[PaymentToMake, ...]
    waiting: str | None = None  # the payments wait for the reseller to act in Xero
    note: str | None = None  # something not recorded, said once


def payment_records(order: MarketplaceOrder) -> tuple[PaymentRecord, ...]:
    """The order's own payments (lines that are the customer paying it), in order; each
    named `<order number> payment <n>`, so that Xero's copy can be found by its Reference.
    A line's sign says which way the marketplace books it; the payment is its size."""
    records = []
    lines = [line for line in order.lines if line.kind is LineKind.PAYMENT and line.pays_order]
    for n, line in enumerate(lines, 1):
        amount = abs(line.extended_price.amount - line.discount_amount).quantize(
            CENT, ROUND_HALF_UP
        )
        if amount > 0:
            records.append(
                PaymentRecord(
                    reference=f"{order.order_number} payment {n}",
                    amount=amount,
                    day=order.created_at.date(),
                )
            )
    return tuple(records)


def decide_payments(
    records: Sequence[PaymentRecord],
    made: Iterable[PaymentMade],
    invoice_status: str,
    amount_due: Decimal | None,
) -> PaymentDecision:
    """The payments still to make against the invoice, within Xero's rules (module doc).
    A record already in the ledger (made, or sent and found in Xero) is never made again."""
    done = {payment.reference for payment in made}
    todo = [record for record in records if record.reference not in done]
    if not todo:
        return PaymentDecision(())
    owed = sum((r.amount for r in todo), Decimal(0))
    if invoice_status in WAIT_FOR_APPROVAL:
        return PaymentDecision(
            (),
            waiting=f"the invoice is {invoice_status.lower()} in Xero; approve it to record "
            f"the marketplace's payment of {owed}",
        )
    if invoice_status != "AUTHORISED":
        return PaymentDecision(
            (),
            note=f"the marketplace's payment of {owed} is not recorded in Xero: the invoice "
            f"is {invoice_status}",
        )
    left = max(amount_due or Decimal(0), Decimal(0))
    to_make = []
    for record in todo:
        amount = min(record.amount, left)
        if amount > 0:
            to_make.append(PaymentToMake(record, amount))
            left -= amount
    unrecorded = owed - sum((p.amount for p in to_make), Decimal(0))
    note = None
    if unrecorded > 0:
        note = (
            f"{unrecorded} of the marketplace's payments is not recorded in Xero: more than "
            "the invoice owed (an overpayment to refund or credit in Xero)"
        )
    return PaymentDecision(tuple(to_make), note=note)


def bank_account_problem(code: str | None, accounts: Iterable[Account]) -> str | None:
    """Why payments cannot go to this account code (None: they can): it must be one of the
    organisation's active bank accounts."""
    if not code:
        return "choose the Xero bank account payments go to (setting payments_account_code)"
    # Which accounts may take payments is the chart's rule (the settings' save checks it too).
    banks = {a.code for a in accounts if fits(a, Purpose.BANK)}
    if code not in banks:
        shown = ", ".join(sorted(c for c in banks if c)) or "none"
        return (
            f"Xero account {code} is not an active bank account of the organisation "
            f"(its bank accounts: {shown}); choose one for payments_account_code"
        )
    return None
