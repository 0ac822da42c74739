"""The rounding policy: how amounts are rounded on the way to Xero, and how a difference of a
cent between the marketplace and Xero is explained instead of left as a mystery.

1. Unit amounts travel with 4 decimal places (`unitdp=4` on every request that sends or reads
   lines), rounded half away from zero (`ROUND_HALF_UP` on Decimal); quantities as they are.
2. A line amount is what Xero computes: quantity times unit amount, rounded to the cent half
   away from zero, less the line's discount (`documents.line_amount`).
3. A line's tax is Xero's too: the line amount times the tax rate (tax-exclusive), or the part
   of the line amount that is tax (tax-inclusive), rounded to the cent half away from zero on
   each line; nothing is sent to override it (`LineItem.TaxAmount` is never sent).
4. Totals are sums of those rounded lines: sub-total = sum of line amounts (less their tax when
   tax-inclusive), total tax = sum of line taxes, total = sub-total + total tax. So the lines
   always add up to the document, to the cent (property-tested in tests/unit/test_rounding.py).
5. The marketplace rounds its own way (its extended price per line); where its figure for a line
   differs from Xero's by rounding, the task says which line, the two figures and the rounding
   (`rounding_explained`); where its tax differs from Xero's, the task lists each line
   (`tax_differences`, compared when the marketplace states a tax for the order).

Xero's guide "Rounding in Xero" (developer.xero.com) states 2 to 4: tax per line to two places,
then summed; unit prices to 4 places with unitdp=4, every summary figure to two. It does not say
how a half cent goes: half away from zero is our reading, held by the emulator too. Xero suggests
an adjustment line for a difference; we explain it on the task and change nothing.

Money is Decimal throughout; Xero's JSON numbers are read as Decimal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from cbxero.domain.documents import CENT, LineSource, line_amount
from cbxero.domain.xero import LineItem


def to_cent(amount: Decimal) -> Decimal:
    """Half away from zero, to the cent: 0.005 -> 0.01, -0.005 -> -0.01."""
    return amount.quantize(CENT, ROUND_HALF_UP)


def line_tax(amount: Decimal, rate: Decimal, *, inclusive: bool) -> Decimal:
    """A line's tax at `rate` (0.15 for 15%), to the cent: of the amount when it excludes tax,
    the tax part of it when it includes tax."""
    if inclusive:
        return to_cent(amount - amount / (1 + rate))
    return to_cent(amount * rate)


@dataclass(frozen=True)
class Totals:
    sub_total: Decimal
    total_tax: Decimal
    total: Decimal
    line_amounts: tuple[Decimal, ...]
    line_taxes: tuple[Decimal, ...]


def document_totals(
    lines: Sequence[LineItem], rates: Sequence[Decimal], *, amount_types: str
) -> Totals:
    """A document's lines and totals under the policy (`amount_types`: Exclusive, Inclusive or
    NoTax; `rates`: each line's tax rate)."""
    amounts = tuple(line_amount(line) for line in lines)
    if amount_types == "NoTax":
        taxes = tuple(Decimal(0) for _ in lines)
    else:
        inclusive = amount_types == "Inclusive"
        taxes = tuple(
            line_tax(amount, rate, inclusive=inclusive)
            for amount, rate in zip(amounts, rates, strict=True)
        )
    sub_total = sum(amounts, Decimal(0))
    if amount_types == "Inclusive":
        sub_total -= sum(taxes, Decimal(0))
    total_tax = sum(taxes, Decimal(0))
    return Totals(sub_total, total_tax, sub_total + total_tax, amounts, taxes)


def rounding_explained(sources: Sequence[LineSource], lines: Sequence[LineItem]) -> str | None:
    """Which lines Xero rounds to another figure than the marketplace's, and how: e.g.
    "line 1 (Teams): the marketplace's 300 x 0.33335 = 100.005 (100.01 to the cent); Xero's
    300 x 0.3334 (unit amounts to 4 places) = 100.02, rounded half away from zero to 100.02".
    None when every line agrees (or there is nothing to compare)."""
    said = []
    for number, (source, line) in enumerate(zip(sources, lines, strict=False), 1):
        xero = line.line_amount if line.line_amount is not None else line_amount(line)
        if to_cent(xero) == to_cent(source.amount):
            continue
        discount = line.discount_amount or Decimal(0)
        less = f" - {_plain(discount)}" if discount else ""
        exact = line.quantity * line.unit_amount - discount
        theirs = _plain(source.amount)
        if source.unit_price is not None:
            theirs = f"{_plain(line.quantity)} x {_plain(source.unit_price)}{less} = {theirs}"
        said.append(
            f"line {number} ({source.name}): the marketplace's {theirs} "
            f"({to_cent(source.amount)} to the cent); Xero's {_plain(line.quantity)} x "
            f"{_plain(line.unit_amount)}{less} (unit amounts to 4 places) = {_plain(exact)}, "
            f"rounded half away from zero to {to_cent(xero)}"
        )
    return "; ".join(said) or None


def tax_differences(sources: Sequence[LineSource], lines: Sequence[LineItem]) -> tuple[str, ...]:
    """Each line whose tax Xero computed differently from the marketplace's, e.g.
    "line 1 (Microsoft 365 E3): marketplace tax 5.40, Xero 5.41". Compared only when the
    marketplace states a tax for some line of the order (else it left tax to Xero)."""
    if not any(source.tax for source in sources):
        return ()
    said = []
    for number, (source, line) in enumerate(zip(sources, lines, strict=False), 1):
        xero = to_cent(line.tax_amount or Decimal(0))
        if xero != to_cent(source.tax):
            said.append(
                f"line {number} ({source.name}): marketplace tax {to_cent(source.tax)}, Xero {xero}"
            )
    return tuple(said)


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")
