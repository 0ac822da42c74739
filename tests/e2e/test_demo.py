"""`make demo` as a newcomer runs it: it ends OK, and what it prints shows the books coming back
from Xero (a payment made there, by webhook) and the dashboard and drift report in step."""

from __future__ import annotations

import pytest

from local import demo


def test_the_demo_ends_ok_and_shows_xeros_side(
    dynamodb_local: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert demo.main(dynamodb_local) == 0
    out = capsys.readouterr().out
    assert "in Xero part_paid, paid 100.00, due 280.00" in out
    assert "GET /reconcile: 2 orders, 2 tasks, 2 documents, 0 difference(s)" in out
    assert "invoice SO000003 part paid in Xero: 100.00 paid, 280.00 still due" in out
    assert "credit note CN-CH000004 used up in Xero (72.00 allocated or refunded)" in out
    assert out.rstrip().endswith("the drift report finds the books in step")
