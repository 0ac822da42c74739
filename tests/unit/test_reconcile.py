"""The decisions taken on Xero's answer: the totals verdict and the credit applied."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from cbxero.domain.documents import DocumentPlan, marked
from cbxero.domain.reconcile import NOT_CHECKED, credit_to_apply, totals_verdict
from cbxero.domain.settings import LineAmountTypes, Settings
from cbxero.domain.xero import ContactRef, CreditNote, Invoice, LineItem

CONTACT = ContactRef(contact_id="c1")
LINE = LineItem(description="Teams", quantity=Decimal(2), unit_amount=Decimal("4.00"))
REFUND = LineItem(description="Teams refund", quantity=Decimal(1), unit_amount=Decimal("4.00"))


def plan(expected: Decimal | None = Decimal("8.00"), refunds: bool = False) -> DocumentPlan:
    return DocumentPlan(
        order_number="SO1",
        currency="EUR",
        day=date(2026, 11, 25),
        charges=(LINE,),
        refunds=(REFUND,) if refunds else (),
        quantity_changes=(),
        expected=expected,
    )


def invoice(sub_total: str, reference: str = "SO1", *lines: LineItem) -> Invoice:
    return Invoice(
        invoice_id="i1",
        contact=CONTACT,
        line_items=lines or (LINE,),
        reference=reference,
        sub_total=Decimal(sub_total),
        total=Decimal(sub_total) * Decimal("1.2"),
    )


class TestTotalsVerdict:
    def test_agreeing_totals_sync(self) -> None:
        verdict = totals_verdict(plan(), Settings(), invoice("8.00"), None)
        assert verdict.agrees and verdict.note is None

    def test_disagreeing_totals_wait_for_the_reseller(self) -> None:
        verdict = totals_verdict(plan(), Settings(), invoice("9.00"), None)
        assert not verdict.agrees
        assert verdict.problem == (
            "totals disagree: Xero's documents come to 9.00, the order to 8.00"
        )

    def test_a_credit_note_counts_against_the_invoice(self) -> None:
        note = CreditNote(
            contact=CONTACT, line_items=(REFUND,), sub_total=Decimal("4.00"), total=Decimal("4.8")
        )
        verdict = totals_verdict(plan(Decimal("4.00"), True), Settings(), invoice("8.00"), note)
        assert verdict.agrees

    def test_tax_inclusive_prices_hold_xero_s_total(self) -> None:
        inclusive = Settings(line_amount_types=LineAmountTypes.INCLUSIVE)
        assert totals_verdict(plan(Decimal("9.60")), inclusive, invoice("8.00"), None).agrees

    def test_without_an_order_total_the_planned_lines_count(self) -> None:
        assert totals_verdict(plan(None), Settings(), invoice("8.00"), None).agrees
        assert not totals_verdict(plan(None), Settings(), invoice("8.01"), None).agrees

    def test_on_a_shared_invoice_only_the_order_s_marked_lines_count(self) -> None:
        ours = marked(LINE, "SO1").model_copy(
            update={"line_item_id": "l1", "line_amount": Decimal("8.00")}
        )
        theirs = marked(LINE, "SO2").model_copy(
            update={"line_item_id": "l2", "line_amount": Decimal("8.00")}
        )
        shared = invoice("16.00", "SO1, SO2", ours, theirs)
        verdict = totals_verdict(plan(), Settings(), shared, None)
        assert verdict.agrees and verdict.line_item_ids == ("l1",)

    def test_a_shared_invoice_without_the_order_s_marks_is_not_checked(self) -> None:
        verdict = totals_verdict(plan(), Settings(), invoice("99.00", "SO1, SO2"), None)
        assert verdict.agrees and verdict.note == NOT_CHECKED


MONEY = st.decimals(min_value=-1000, max_value=100_000, places=2)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(remaining=st.none() | MONEY, total=st.none() | MONEY, due=st.none() | MONEY)
def test_the_credit_applied_never_exceeds_the_credit_or_the_amount_due(
    remaining: Decimal | None, total: Decimal | None, due: Decimal | None
) -> None:
    split = credit_to_apply(remaining, total, due)
    credit = remaining if remaining is not None else total
    assert split.amount >= 0 and split.left >= 0
    assert split.amount <= max(due or 0, 0)
    assert split.amount <= max(credit or 0, 0)
    assert split.amount + split.left == max(credit or 0, 0)
    # As much as can go: all the credit, or all that is owed.
    assert split.amount == max(min(credit or 0, due or 0), 0)


def test_the_credit_remaining_wins_over_the_credit_note_s_total() -> None:
    split = credit_to_apply(Decimal("3.00"), Decimal("10.00"), Decimal("5.00"))
    assert (split.amount, split.left) == (Decimal("3.00"), Decimal(0))
    split = credit_to_apply(None, Decimal("10.00"), Decimal("4.00"))
    assert (split.amount, split.left) == (Decimal("4.00"), Decimal("6.00"))
