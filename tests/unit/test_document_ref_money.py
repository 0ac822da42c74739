"""A task's Xero document carries its total as money: Xero's JSON numbers arrive as floats
(20.0), and the task screen showed `"total": "20.0"` beside `"order_total": "20.00"`."""

from __future__ import annotations

from decimal import Decimal

from cbxero.domain.model import XeroDocumentRef


def test_a_document_total_is_kept_to_the_cent() -> None:
    ref = XeroDocumentRef(kind="invoice", id="i-1", number="SO000005", total=Decimal("20.0"))
    assert ref.model_dump(mode="json")["total"] == "20.00"
    assert XeroDocumentRef(kind="credit_note", id="c-1", total=Decimal("72")).total == Decimal(
        "72.00"
    )
    assert str(XeroDocumentRef(kind="invoice", id="i-2", total=Decimal("0.005")).total) == "0.01"


def test_a_document_without_a_total_stays_without_one() -> None:
    assert XeroDocumentRef(kind="invoice", id="i-1").total is None
