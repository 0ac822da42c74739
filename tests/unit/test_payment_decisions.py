"""What a marketplace payment becomes in Xero: pure decisions (domain/payments.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from cbxero.domain.marketplace import LineKind, MarketplaceOrder, Money, OrderLine
from cbxero.domain.model import PaymentMade
from cbxero.domain.payments import (
    PaymentRecord,
    bank_account_problem,
    decide_payments,
    payment_records,
)
from cbxero.domain.xero import Account

DAY = date(2026, 11, 20)


def _line(kind: LineKind, amount: str, *, pays: bool = False) -> OrderLine:
    money = Money(amount=Decimal(amount), currency="USD")
    return OrderLine(
        kind=kind,
        mpn="M",
        quantity=Decimal(1),
        unit_price=money,
        extended_price=money,
        pays_order=pays,
    )


def _record(n: int, amount: str) -> PaymentRecord:
    return PaymentRecord(reference=f"SO1 payment {n}", amount=Decimal(amount), day=DAY)


def test_only_the_customers_payments_of_the_order_are_records() -> None:
    order = MarketplaceOrder(
        id="1",
        order_number="SO1",
        type="sales",
        status="completed",
        customer_id="c",
        created_at=datetime(2026, 11, 20, 23, 30, tzinfo=UTC),
        total=Money(amount=Decimal(100), currency="USD"),
        lines=(
            _line(LineKind.CHARGE, "100"),
            _line(LineKind.PAYMENT, "-60", pays=True),
            _line(LineKind.PAYMENT, "-5"),  # a reseller's payment or a bill record
            _line(LineKind.PAYMENT, "0", pays=True),
            _line(LineKind.PAYMENT, "-40.004", pays=True),
        ),
    )
    assert payment_records(order) == (
        PaymentRecord("SO1 payment 1", Decimal("60.00"), DAY),
        PaymentRecord("SO1 payment 3", Decimal("40.00"), DAY),
    )


def test_a_draft_invoice_makes_the_payment_wait_saying_what_to_do() -> None:
    decision = decide_payments([_record(1, "10")], (), "DRAFT", Decimal(100))
    assert decision.to_make == ()
    assert decision.waiting == (
        "the invoice is draft in Xero; approve it to record the marketplace's payment of 10"
    )


def test_more_than_the_amount_due_is_capped_and_said() -> None:
    decision = decide_payments([_record(1, "70"), _record(2, "50")], (), "AUTHORISED", Decimal(100))
    assert [(p.record.reference, p.amount) for p in decision.to_make] == [
        ("SO1 payment 1", Decimal(70)),
        ("SO1 payment 2", Decimal(30)),
    ]
    assert decision.note is not None and decision.note.startswith("20 of the marketplace's")


def test_a_payment_in_the_ledger_is_never_made_again_and_a_voided_invoice_gets_none() -> None:
    made = [PaymentMade(reference="SO1 payment 1", amount=Decimal(10), payment_id="p")]
    assert decide_payments([_record(1, "10")], made, "AUTHORISED", Decimal(90)).to_make == ()
    voided = decide_payments([_record(1, "10")], (), "VOIDED", Decimal(0))
    assert voided.to_make == () and voided.waiting is None and "VOIDED" in (voided.note or "")


def test_the_bank_account_must_be_an_active_bank_account() -> None:
    chart = [
        Account(code="090", name="Bank", type="BANK", status="ACTIVE"),
        Account(code="200", name="Sales", type="REVENUE", status="ACTIVE"),
        Account(code="091", name="Old bank", type="BANK", status="ARCHIVED"),
    ]
    assert bank_account_problem("090", chart) is None
    assert "not an active bank account" in (bank_account_problem("200", chart) or "")
    assert "bank accounts: 090" in (bank_account_problem("091", chart) or "")
    assert "choose the Xero bank account" in (bank_account_problem(None, chart) or "")


AMOUNTS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(500), places=2)


@settings(derandomize=True, max_examples=200)
@given(
    amounts=st.lists(AMOUNTS, min_size=1, max_size=5),
    total=AMOUNTS,
    paid_elsewhere=st.decimals(min_value=Decimal(0), max_value=Decimal(500), places=2),
    statuses=st.lists(
        st.sampled_from(["DRAFT", "AUTHORISED", "SUBMITTED"]), min_size=1, max_size=6
    ),
)
def test_never_more_than_the_invoice_nor_the_marketplace_and_nothing_twice(
    amounts: list[Decimal], total: Decimal, paid_elsewhere: Decimal, statuses: list[str]
) -> None:
    """Run after run (the invoice approved or not, paid by hand in part), what the product pays
    never exceeds the invoice's total nor the marketplace's payments, and no record twice."""
    records = [_record(n, str(a)) for n, a in enumerate(amounts, 1)]
    due = max(total - paid_elsewhere, Decimal(0))
    ledger: list[PaymentMade] = []
    for status in statuses:
        state = "PAID" if due == 0 and status == "AUTHORISED" else status
        decision = decide_payments(records, ledger, state, due)
        for payment in decision.to_make:
            assert payment.amount > 0
            ledger.append(PaymentMade(reference=payment.record.reference, amount=payment.amount))
            due -= payment.amount
        assert due >= 0
    paid = sum((p.amount for p in ledger), Decimal(0))
    assert paid <= total and paid <= sum(amounts, Decimal(0))
    assert len({p.reference for p in ledger}) == len(ledger)
