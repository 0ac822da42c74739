"""The marketplace adapter's translation of SimpleAPI's OrderDetail types into line kinds."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cbxero.adapters.marketplace import DETAIL_KINDS, line_kind, order_from_api
from cbxero.domain.documents import CANCELLATION_FEE, DocumentPlan, UnmappedProducts, mapping_key
from cbxero.domain.marketplace import LineKind
from cbxero.domain.model import ProductMapping
from cbxero.domain.settings import DowngradeMode, Settings

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def spec_detail_types(specs_dir: Path) -> list[str]:
    text = (specs_dir / "cloudblue-simpleapi" / "simpleapi-1.15.yaml").read_text()
    document = yaml.load(text, Loader=Loader)  # noqa: S506 - safe loader
    return list(document["components"]["schemas"]["OrderDetail"]["properties"]["type"]["enum"])


def test_the_adapter_knows_every_detail_type_of_the_spec(specs_dir: Path) -> None:
    assert sorted(DETAIL_KINDS) == sorted(spec_detail_types(specs_dir))


@pytest.mark.parametrize("detail_type", sorted(DETAIL_KINDS))
def test_every_known_detail_type_maps_to_a_kind(detail_type: str) -> None:
    assert isinstance(line_kind(detail_type), LineKind)


def test_the_kinds_are_those_the_domain_decided_on_by_type_before() -> None:
    """The sets domain/documents.py used to hold (REFUND_TYPES, NOT_FEES, FEE_TYPES)."""
    by_kind = {kind: {t for t, k in DETAIL_KINDS.items() if k is kind} for kind in LineKind}
    assert by_kind[LineKind.REFUND] == {
        "setupRefund",
        "renewRefund",
        "transferRefund",
        "recurringRefund",
        "downgrade",
        "refund",
        "refundAdjustment",
    }
    assert by_kind[LineKind.PAYMENT] == {"payment", "resellerPayment", "deposit", "billRecord"}
    assert by_kind[LineKind.CANCELLATION_FEE] == {"cancellation"}
    assert "unknown" in by_kind[LineKind.CHARGE] and "discount" in by_kind[LineKind.CHARGE]


@settings(derandomize=True, max_examples=200)
@given(st.text(max_size=30).filter(lambda t: t not in DETAIL_KINDS))
def test_a_type_the_adapter_does_not_know_is_a_charge(detail_type: str) -> None:
    assert line_kind(detail_type) is LineKind.CHARGE


def _order(detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "1",
        "orderNumber": "SO1",
        "type": "change",
        "status": "completed",
        "customerId": "c1",
        "creationDate": datetime(2026, 11, 1, tzinfo=UTC).isoformat(),
        "total": {"amount": "-5.00", "currency": "EUR"},
        "details": [detail],
    }


NEW_TYPE = {
    "type": "loyaltyCredit",  # a type SimpleAPI 1.15 does not name
    "mpn": "E3",
    "quantity": 1,
    "unitPrice": {"amount": "-5.00", "currency": "EUR"},
    "extendedPrice": {"amount": "-5.00", "currency": "EUR"},
}
E3 = ProductMapping(reseller_id="r1", mpn="E3", product_name="E3", xero_item_code="E3")


def test_an_unknown_line_keeps_its_sign_and_needs_its_product_mapped() -> None:
    order = order_from_api(_order(NEW_TYPE))
    assert order.lines[0].kind is LineKind.CHARGE
    refunding = Settings(downgrades=DowngradeMode.REFUND)
    with pytest.raises(UnmappedProducts):  # not dropped as a payment would be
        DocumentPlan.build(order, refunding, {}, {})
    plan = DocumentPlan.build(order, refunding, {"E3": E3}, {})
    assert (plan.refunds, plan.planned_total) == ((), Decimal("-5.00"))  # not turned round


def test_a_cancellation_goes_through_the_fees_mapping() -> None:
    order = order_from_api(_order({**NEW_TYPE, "type": "cancellation"}))
    assert mapping_key(order.lines[0]) == CANCELLATION_FEE


CHARGING = (LineKind.CHARGE, LineKind.CANCELLATION_FEE)


@settings(derandomize=True, max_examples=300)
@given(
    detail_type=st.sampled_from(sorted(DETAIL_KINDS)) | st.text(max_size=20),
    quantity=st.integers(-50, 50).filter(bool),
    cents=st.integers(-1_000_000, 1_000_000).filter(bool),
)
def test_the_translation_never_flips_a_charges_sign(
    detail_type: str, quantity: int, cents: int
) -> None:
    """Whatever the detail type, the adapter keeps a line's figures as SimpleAPI gave them, and
    a line the adapter calls a charge lands on the invoice with the sign it had: only refunds
    are turned round (onto a credit note), and only by their kind."""
    unit = Decimal(cents) / 100
    extended = unit * quantity
    order = order_from_api(
        _order(
            {
                **NEW_TYPE,
                "type": detail_type,
                "quantity": quantity,
                "unitPrice": {"amount": str(unit), "currency": "EUR"},
                "extendedPrice": {"amount": str(extended), "currency": "EUR"},
            }
        )
    )
    (line,) = order.lines
    assert line.kind is line_kind(detail_type)
    assert (line.quantity, line.unit_price.amount) == (Decimal(quantity), unit)
    assert line.extended_price.amount == extended
    if line.kind not in CHARGING:
        return
    mappings = {mapping_key(line): E3}
    plan = DocumentPlan.build(order, Settings(downgrades=DowngradeMode.REFUND), mappings, {})
    assert (len(plan.charges), plan.refunds) == (1, ())
    assert plan.planned_total == extended  # the same sign, to the cent


@pytest.mark.parametrize(
    ("written", "instant"),
    [
        ("2026-11-25 11:58:00+00:00", datetime(2026, 11, 25, 11, 58, tzinfo=UTC)),
        ("2026-11-25T13:58:00+02:00", datetime(2026, 11, 25, 11, 58, tzinfo=UTC)),
        ("2026-11-25 11:58:00", datetime(2026, 11, 25, 11, 58, tzinfo=UTC)),  # no offset: UTC
        ("2026-11-25T11:58:00", datetime(2026, 11, 25, 11, 58, tzinfo=UTC)),
        ("2016-12-31T23:59:60Z", datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC)),  # leap second
    ],
)
def test_an_order_time_is_read_however_simpleapi_writes_it(written: str, instant: datetime) -> None:
    # Found by the attack of 2026-11-27: an order time without an offset, or on a leap second
    # (RFC 3339 allows :60), failed the whole customer's check at every look: its orders never
    # synced. The emulator already read a time without an offset as UTC.
    order = order_from_api({**_order(NEW_TYPE), "creationDate": written})
    assert order.created_at == instant


def test_each_planned_line_names_its_order_line_for_edits_by_hand() -> None:
    """A sync by hand's LineEdit.index is the order line's: the plan says which it is for each
    planned line, since payments are left out and refunds go onto the credit note."""
    payment = {**NEW_TYPE, "type": "payment"}
    charge = {**NEW_TYPE, "type": "recurring", "unitPrice": {"amount": "5.00", "currency": "EUR"}}
    charge["extendedPrice"] = charge["unitPrice"]
    order = order_from_api(
        {**_order(payment), "details": [payment, charge, NEW_TYPE | {"type": "refund"}]}
    )
    plan = DocumentPlan.build(order, Settings(downgrades=DowngradeMode.REFUND), {"E3": E3}, {})
    assert [s.order_line for s in plan.charge_sources] == [1]
    assert [s.order_line for s in plan.refund_sources] == [2]
