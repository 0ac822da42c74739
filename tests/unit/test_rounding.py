"""The rounding policy (domain/rounding.py): the lines add up to the document, the emulator
prices as the policy says, and a cent of difference is explained line by line."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from cbxero.domain.documents import DocumentPlan, LineSource, line_amount
from cbxero.domain.reconcile import taxes_compared, totals_verdict
from cbxero.domain.rounding import document_totals, line_tax, to_cent
from cbxero.domain.settings import Settings
from cbxero.domain.xero import ContactRef, Invoice, LineItem
from local.xero_emulator.documents import priced
from local.xero_emulator.state import Organisation

RATES = {"OUTPUT": Decimal("0.15"), "NONE": Decimal(0)}

LINES = st.lists(
    st.builds(
        lambda quantity, unit, discount, tax: LineItem(
            description="Seat",
            quantity=quantity,
            unit_amount=unit,
            discount_amount=min(discount, (quantity * unit).quantize(Decimal("0.01"))) or None,
            tax_type=tax,
        ),
        quantity=st.decimals("-50", "500", places=2, allow_nan=False, allow_infinity=False),
        unit=st.decimals("-100", "10000", places=4, allow_nan=False, allow_infinity=False),
        discount=st.decimals("0", "50", places=2, allow_nan=False, allow_infinity=False),
        tax=st.sampled_from(list(RATES)),
    ),
    min_size=1,
    max_size=12,
)
AMOUNT_TYPES = st.sampled_from(["Exclusive", "Inclusive", "NoTax"])


def test_half_away_from_zero_to_the_cent() -> None:
    assert (to_cent(Decimal("0.005")), to_cent(Decimal("-0.005"))) == (
        Decimal("0.01"),
        Decimal("-0.01"),
    )
    assert line_tax(Decimal("36.00"), Decimal("0.15"), inclusive=True) == Decimal("4.70")
    assert line_tax(Decimal("10.03"), Decimal("0.15"), inclusive=False) == Decimal("1.50")


@settings(derandomize=True, max_examples=200)
@given(lines=LINES, amount_types=AMOUNT_TYPES)
def test_the_policys_lines_add_up_to_the_document_and_the_emulator_prices_so(
    lines: list[LineItem], amount_types: str
) -> None:
    rates = [RATES[line.tax_type or "NONE"] for line in lines]
    totals = document_totals(lines, rates, amount_types=amount_types)
    # Every figure is whole cents, and the lines add up to the document.
    for figure in (totals.sub_total, totals.total_tax, totals.total, *totals.line_amounts):
        assert figure == to_cent(figure)
    assert totals.total == sum(totals.line_amounts, Decimal(0)) + (
        sum(totals.line_taxes, Decimal(0)) if amount_types != "Inclusive" else Decimal(0)
    )
    assert totals.total_tax == sum(totals.line_taxes, Decimal(0))
    assert totals.sub_total + totals.total_tax == totals.total
    # The Xero emulator computes the same lines and totals from the same request.
    org = Organisation(tenant_id="t", name="Org")
    org.contacts["c"] = {"ContactID": "c", "Name": "C"}
    raw = Invoice(
        contact=ContactRef(contact_id="c"),
        line_items=tuple(lines),
        line_amount_types=amount_types,
        date=date(2026, 11, 25),
    ).to_xero()
    xero = priced(org, raw, 4, datetime(2026, 11, 25, tzinfo=UTC))
    assert [Decimal(str(x["LineAmount"])) for x in xero["LineItems"]] == list(totals.line_amounts)
    assert [Decimal(str(x["TaxAmount"])) for x in xero["LineItems"]] == list(totals.line_taxes)
    assert Decimal(str(xero["SubTotal"])) == totals.sub_total
    assert Decimal(str(xero["Total"])) == totals.total


def _plan(unit: str, quantity: str, *, tax: str = "0") -> DocumentPlan:
    amount = Decimal(quantity) * Decimal(unit)
    return DocumentPlan(
        order_number="SO000001",
        currency="USD",
        day=date(2026, 11, 25),
        charges=(
            LineItem(
                description="Teams Essentials",
                quantity=Decimal(quantity),
                unit_amount=Decimal(unit).quantize(Decimal("0.0001")),
            ),
        ),
        refunds=(),
        quantity_changes=(),
        expected=to_cent(amount),
        charge_sources=(LineSource("Teams Essentials", amount, Decimal(tax), Decimal(unit)),),
    )


def _invoice(plan: DocumentPlan, *, tax: str = "0") -> Invoice:
    line = plan.charges[0]
    amount = line_amount(line)
    update = {"line_amount": amount, "tax_amount": Decimal(tax)}
    return Invoice(
        invoice_id="i",
        contact=ContactRef(contact_id="c"),
        line_items=(line.model_copy(update=update),),
        reference=plan.order_number,
        sub_total=amount,
        total=amount + Decimal(tax),
    )


def test_a_cent_of_difference_is_explained_by_its_line_and_the_rounding() -> None:
    plan = _plan("0.33335", "300")  # the marketplace: 100.005; Xero's unit: 0.3334
    verdict = totals_verdict(plan, Settings(), _invoice(plan), None)
    assert verdict.problem == (
        "totals disagree: Xero's documents come to 100.02, the order to 100.01 (rounding: "
        "line 1 (Teams Essentials): the marketplace's 300 x 0.33335 = 100.005 (100.01 to the "
        "cent); Xero's 300 x 0.3334 (unit amounts to 4 places) = 100.02, rounded half away "
        "from zero to 100.02)"
    )


def test_totals_that_agree_need_no_explaining() -> None:
    plan = _plan("4.00", "3")
    assert totals_verdict(plan, Settings(), _invoice(plan), None).problem is None


def test_the_marketplaces_tax_per_line_is_held_to_xeros() -> None:
    plan = _plan("36.00", "1", tax="5.41")
    assert taxes_compared(plan, _invoice(plan, tax="5.40"), None) == (
        "line 1 (Teams Essentials): marketplace tax 5.41, Xero 5.40",
    )
    assert taxes_compared(plan, _invoice(plan, tax="5.41"), None) == ()
    untaxed = _plan("36.00", "1")  # the marketplace left tax to Xero: nothing to compare
    assert taxes_compared(untaxed, _invoice(untaxed, tax="5.40"), None) == ()
