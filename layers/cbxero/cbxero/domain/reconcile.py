"""What Xero's answer means for an order: do its documents come to what the order says, and
how much of a credit note goes onto the invoice it belongs with. Pure decisions, Decimal money;
the sync pipeline acts on them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from cbxero.domain.documents import (
    CENT,
    DocumentPlan,
    compared_figure,
    lines_of_order,
    reference_entries,
    xero_lines_total,
)
from cbxero.domain.rounding import rounding_explained, tax_differences
from cbxero.domain.settings import Settings
from cbxero.domain.xero import CreditNote, Invoice, LineItem

NOT_CHECKED = "totals not checked: the invoice also holds other orders"


@dataclass(frozen=True)
class TotalsVerdict:
    """Whether Xero's documents for an order agree with the order, and what to record."""

    # Why the task waits for the reseller (the totals disagree); None: the order is synced.
    problem: str | None
    # What the task says besides (the totals could not be checked), or None.
    note: str | None
    # The ids of the lines Xero holds for this order on an invoice that collects orders.
    line_item_ids: tuple[str, ...]

    @property
    def agrees(self) -> bool:
        return self.problem is None


def totals_verdict(
    plan: DocumentPlan,
    settings: Settings,
    invoice: Invoice | None,
    credit_note: CreditNote | None,
) -> TotalsVerdict:
    """Xero's invoice less credit note, held to the order's total (or, when prices come from
    Xero or were edited by hand, to the planned lines). On an invoice that collects orders
    only this order's lines count (by their mark): "the invoice now less before" would count
    later orders' lines too."""
    actual = Decimal(0)
    own: tuple[LineItem, ...] = ()
    if invoice is not None:
        own = lines_of_order(invoice.line_items, plan.order_number)
        actual += (
            xero_lines_total(own)
            if own
            else compared_figure(settings, invoice.sub_total, invoice.total)
        )
    if credit_note is not None:
        actual -= compared_figure(settings, credit_note.sub_total, credit_note.total)
    expected = plan.expected
    if expected is None:  # prices from Xero or edited by hand: hold Xero to our own lines
        expected = plan.planned_total.quantize(CENT)
    ids = tuple(line.line_item_id for line in own if line.line_item_id)
    shared = invoice is not None and len(reference_entries(invoice.reference)) > 1
    if shared and not own:
        # Found again on an invoice that also holds later orders' lines: ours cannot be told
        # apart from theirs, so there is no figure to hold it to.
        return TotalsVerdict(problem=None, note=NOT_CHECKED, line_item_ids=ids)
    if actual.quantize(CENT) != expected:
        why = rounding_explained(plan.charge_sources, _ours(invoice, own)) or ""
        if credit_note is not None:
            credited = rounding_explained(plan.refund_sources, credit_note.line_items)
            why = "; ".join(part for part in (why, credited and f"credit note {credited}") if part)
        return TotalsVerdict(
            problem=f"totals disagree: Xero's documents come to {actual.quantize(CENT)}, "
            f"the order to {expected}" + (f" (rounding: {why})" if why else ""),
            note=None,
            line_item_ids=ids,
        )
    return TotalsVerdict(problem=None, note=None, line_item_ids=ids)


def _ours(invoice: Invoice | None, own: tuple[LineItem, ...]) -> tuple[LineItem, ...]:
    if invoice is None:
        return ()
    return own or invoice.line_items


def taxes_compared(
    plan: DocumentPlan, invoice: Invoice | None, credit_note: CreditNote | None
) -> tuple[str, ...]:
    """The order's lines whose tax Xero computed differently from the marketplace's, each said
    once (`rounding.tax_differences`); the invoice's lines, then the credit note's."""
    own = lines_of_order(invoice.line_items, plan.order_number) if invoice is not None else ()
    said = tax_differences(plan.charge_sources, _ours(invoice, own))
    if credit_note is not None:
        credited = tax_differences(plan.refund_sources, credit_note.line_items)
        said += tuple(f"credit note {line}" for line in credited)
    return said


@dataclass(frozen=True)
class CreditToApply:
    """How a credit note's credit splits: what goes onto the invoice now, and what stays on
    the contact in Xero."""

    amount: Decimal
    left: Decimal


def credit_to_apply(
    credit_remaining: Decimal | None, credit_total: Decimal | None, amount_due: Decimal | None
) -> CreditToApply:
    """The credit applied to an invoice: all of it, or as much as the invoice still owes,
    never more than either and never below zero. Xero's remaining credit when it says so,
    else the credit note's total."""
    credit = credit_remaining if credit_remaining is not None else credit_total
    credit = max(credit or Decimal(0), Decimal(0))
    amount = max(min(amount_due or Decimal(0), credit), Decimal(0))
    return CreditToApply(amount=amount, left=credit - amount)
