"""`make demo` prints money as money: Xero's JSON numbers arrive as floats (432.0), the demo shows
them as a finance team reads them (432.00), and quantities without a trailing `.0`."""

from __future__ import annotations

from local.demo import money, quantity


def test_money_has_two_decimals_and_thousands_separated() -> None:
    assert money(432.0) == "432.00"
    assert money(0.0) == "0.00"
    assert money(-72.0) == "-72.00"
    assert money(1234567.5) == "1,234,567.50"
    assert money("36.00") == "36.00"


def test_money_keeps_a_unit_price_to_four_decimals_when_it_has_them() -> None:
    # Lines go to Xero with unitdp=4: a unit price of 0.1234 must not print as 0.12.
    assert money(0.1234) == "0.1234"
    assert money(4.5) == "4.50"


def test_quantity_drops_a_float_s_trailing_zero() -> None:
    assert quantity(12.0) == "12"
    assert quantity(-2.0) == "-2"
    assert quantity(1.5) == "1.5"
    assert quantity(5) == "5"
