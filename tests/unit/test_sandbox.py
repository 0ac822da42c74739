"""The SimpleAPI emulator's sandbox: what it adds is what SimpleAPI then serves, for every order
type, and our own client reads it as the marketplace's."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from cbxero.adapters.marketplace import SimpleApiClient, order_from_api
from cbxero.domain.marketplace import LineKind, OrderType
from cbxero.domain.payments import payment_records
from cbxero.ports import Clock
from local.simpleapi_emulator import SimpleApiEmulator
from local.wsgi import session_for

URL = "http://simpleapi.emulator"


@pytest.fixture
def market() -> SimpleApiEmulator:
    emulator = SimpleApiEmulator()
    emulator.seed()
    return emulator


def post(market: SimpleApiEmulator, path: str, body: Any) -> Any:
    return market.app.test_client().post(f"/sandbox/{path}", json=body)


def client(market: SimpleApiEmulator) -> SimpleApiClient:
    return SimpleApiClient(
        base_url=URL,
        username=market.credentials[0],
        password=market.credentials[1],
        subscription_key=market.subscription_key,
        http=session_for({URL: market.app}),
        clock=Clock(),
        sleep=lambda _seconds: None,
    )


def test_the_index_lists_routes_and_counts(market: SimpleApiEmulator) -> None:
    body = market.app.test_client().get("/sandbox").get_json()
    assert body["counts"] == {"customers": 2, "products": 3, "subscriptions": 0, "orders": 0}
    assert "GET|POST /sandbox/orders" in body["routes"]


def test_a_customer_with_its_profile_is_served_by_simpleapi(market: SimpleApiEmulator) -> None:
    made = post(
        market,
        "customers",
        {
            "name": "Sandbox Ltd",
            "email": "ap@sandbox.example",
            "country": "GB",
            "tax_reg_id": "GB123",
            "external_id": "EXT-9",
            "street": "2 High Street",
            "city": "Leeds",
            "postal_code": "LS1 1AA",
            "first_name": "Ada",
            "last_name": "Lovelace",
        },
    )
    assert made.status_code == 201
    customer = client(market).customer(made.get_json()["resellerId"], made.get_json()["id"])
    assert (customer.name, customer.tax_reg_id, customer.country_code) == (
        "Sandbox Ltd",
        "GB123",
        "GB",
    )
    assert customer.email == "ap@sandbox.example"
    assert (customer.street, customer.city, customer.postal_code) == (
        "2 High Street",
        "Leeds",
        "LS1 1AA",
    )
    assert customer.contact is not None and customer.contact.last_name == "Lovelace"
    bare = post(market, "customers", {"name": "No Contact", "no_billing_contact": True})
    assert bare.get_json()["contactPersons"] == []
    listed = market.app.test_client().get("/sandbox/customers").get_json()
    assert [c["name"] for c in listed][-2:] == ["Sandbox Ltd", "No Contact"]


def test_every_order_type_is_read_by_our_client(market: SimpleApiEmulator) -> None:
    customer = post(market, "customers", {"name": "Orders Ltd"}).get_json()["id"]
    assert (
        post(market, "products", {"mpn": "SEAT", "name": "Seat", "price": "7.50"}).status_code
        == 201
    )
    kinds = ["sales", "upgrade", "downgrade", "renewal", "billing", "cancellation", "migration"]
    made = {}
    for kind in kinds:
        answer = post(
            market,
            "orders",
            {"customer_id": customer, "type": kind, "lines": [{"mpn": "SEAT", "quantity": 2}]},
        )
        assert answer.status_code == 201, answer.get_json()
        made[kind] = answer.get_json()
    orders = {o.order_number: o for o in client(market).orders(customer, _long_ago())}
    read = {kind: orders[made[kind]["orderNumber"]] for kind in kinds}
    assert read["sales"].type is OrderType.SALES
    assert read["upgrade"].type is read["downgrade"].type is OrderType.CHANGE
    assert read["billing"].type is OrderType.BILLING
    assert made["billing"]["orderNumber"].startswith("BO") and made["billing"]["type"] == "unknown"
    assert read["renewal"].type is OrderType.RENEWAL
    assert read["cancellation"].type is OrderType.CANCELLATION
    assert read["migration"].type is OrderType.MIGRATION
    (refund,) = read["downgrade"].lines
    assert made["downgrade"]["details"][0]["type"] == "recurringRefund"
    assert (refund.kind, refund.quantity) == (LineKind.REFUND, Decimal(-2))
    assert read["sales"].lines[0].unit_price.amount == Decimal("7.50")  # the product's price
    assert made["billing"]["details"][0]["type"] == "overuse"
    assert read["billing"].lines[0].kind is LineKind.CHARGE
    # The sales order made a subscription, and SimpleAPI finds the order by it; the
    # cancellation, given it, terminated it.
    subscription = made["sales"]["subscriptionId"]
    cancel = post(
        market,
        "orders",
        {
            "customer_id": customer,
            "type": "cancellation",
            "subscription_id": subscription,
            "lines": [{"mpn": "SEAT", "unit_price": "0"}],
        },
    )
    assert cancel.status_code == 201
    assert market.subscriptions[subscription]["status"] == "terminated"


def test_an_order_at_a_time_with_an_offset_lands_at_that_instant(
    market: SimpleApiEmulator,
) -> None:
    customer = post(market, "customers", {"name": "Zones Ltd"}).get_json()["id"]
    order = post(
        market,
        "orders",
        {
            "customer_id": customer,
            "created": "2026-11-25T14:00:00+02:00",
            "lines": [{"mpn": "MS-TEAMS-ESS"}],
        },
    ).get_json()
    assert order["creationDate"] == "2026-11-25T12:00:00Z"


ONE = {"customer_id": "1000001", "lines": [{"mpn": "AZ-PLAN"}]}  # a valid order, to break


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("customers", {}, 400, "name"),
        ("customers", {"name": "X", "country": "Germany"}, 400, "country"),
        ("customers", {"name": "X", "colour": "red"}, 400, "colour"),
        ("products", {"mpn": "P", "name": "P", "price": "-1"}, 400, "price"),
        ("products", {"mpn": "AZ-PLAN", "name": "again", "price": "1"}, 409, None),
        ("orders", {"customer_id": "1000001", "lines": []}, 400, "lines"),
        ("orders", {**ONE, "type": "refund"}, 400, "type"),
        ("orders", {**ONE, "lines": [{"mpn": "AZ-PLAN", "quantity": 0}]}, 400, "lines.0.quantity"),
        ("orders", {**ONE, "created": "2026-11-25T14:00:00"}, 400, "created"),  # no offset
        ("orders", {**ONE, "created": "9999-12-31T23:59:59-14:00"}, 400, "created"),  # >9999 UTC
        ("orders", {**ONE, "created": "0001-01-01T00:00:00+14:00"}, 400, "created"),  # <1 UTC
        ("orders", {**ONE, "customer_id": "nobody"}, 404, None),
        ("orders", {**ONE, "lines": [{"mpn": "NOPE"}]}, 404, None),
        ("orders", {**ONE, "subscription_id": "9"}, 404, None),
        ("subscriptions", {"customer_id": "1000001", "mpn": "NOPE"}, 404, None),
    ],
)  # fmt: skip
def test_bad_input_is_refused_naming_the_field(
    market: SimpleApiEmulator, path: str, body: Any, status: int, field: str | None
) -> None:
    before = (len(market.customers), len(market.products), len(market.orders))
    answer = post(market, path, body)
    assert answer.status_code == status, answer.get_json()
    if field is not None:
        assert field in [p["field"] for p in answer.get_json()["problems"]]
    assert (len(market.customers), len(market.products), len(market.orders)) == before


def test_a_body_that_is_not_json_is_a_400(market: SimpleApiEmulator) -> None:
    answer = market.app.test_client().post("/sandbox/orders", data=b"{not json")
    assert answer.status_code == 400
    assert "JSON" in answer.get_json()["message"]


@pytest.mark.parametrize("path", ["customers", "products", "subscriptions", "orders"])
def test_json_nested_too_deep_is_a_400(market: SimpleApiEmulator, path: str) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    answer = market.app.test_client().post(
        f"/sandbox/{path}", data=deep, content_type="application/json"
    )
    assert answer.status_code == 400
    assert "JSON" in answer.get_json()["message"]


def _long_ago() -> Any:
    from datetime import UTC, datetime

    return datetime(2000, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("created", "stamp"),
    [
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
        ("0999-06-30T12:00:00+00:00", "0999-06-30T12:00:00Z"),
        ("9999-12-31T23:59:59+14:00", "9999-12-31T09:59:59Z"),
    ],
)
def test_an_order_at_the_ends_of_time_is_stamped_and_listed(
    market: SimpleApiEmulator, created: str, stamp: str
) -> None:
    # Found by the attack of 2026-11-27: year 1 was stamped "1-01-01T00:00:00Z" (strftime's %Y
    # does not pad), which the emulator's own list then failed to read: GET /orders answered 500.
    order = post(market, "orders", {**ONE, "created": created}).get_json()
    assert order["creationDate"] == stamp
    since = datetime(1, 1, 1, tzinfo=UTC)
    assert order["id"] in [o.id for o in client(market).orders("1000001", since)]


def test_an_order_can_carry_the_customers_payment() -> None:
    market = SimpleApiEmulator()
    market.seed()
    client = market.app.test_client()
    customer = next(iter(market.customers))
    made = client.post(
        "/sandbox/orders",
        json={
            "customer_id": customer,
            "type": "sales",
            "lines": [
                {"mpn": "MS-TEAMS-ESS", "quantity": 2},
                {"mpn": "MS-TEAMS-ESS", "fee": "payment", "unit_price": "8.00"},
            ],
        },
    )
    assert made.status_code == 201
    (payment,) = payment_records(order_from_api(made.get_json()))
    assert payment.amount == Decimal("8.00")
