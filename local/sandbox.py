"""The SimpleAPI emulator's sandbox: add customers, products, subscriptions and orders to a
running emulator (`make dev`) with curl, and list what exists.

Served under /sandbox on the emulator's own port, apart from SimpleAPI's paths, with no
credentials: it is a development tool on loopback, not part of SimpleAPI. `GET /sandbox` lists
the routes. Orders come out exactly as the emulator's SimpleAPI serves them to the integration.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from flask import Blueprint, Response, request
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

if TYPE_CHECKING:
    from local.simpleapi_emulator import SimpleApiEmulator

Amount = Decimal

# Each sandbox order type: the SimpleAPI order type it becomes and the fee type of its lines
# unless a line names its own. A billing order is SimpleAPI's "unknown", numbered BO...; a
# downgrade is a change order whose lines refund (negative quantities).
ORDER_TYPES: dict[str, tuple[str, str]] = {
    "sales": ("sales", "recurring"),
    "upgrade": ("change", "recurring"),
    "downgrade": ("change", "recurringRefund"),
    "renewal": ("renewal", "renew"),
    "billing": ("billing", "overuse"),
    "cancellation": ("cancellation", "cancellation"),
    "migration": ("migration", "recurring"),
}
FEE_TYPES = Literal[
    "setup",
    "recurring",
    "renew",
    "overuse",
    "cancellation",
    "discount",
    "setupRefund",
    "recurringRefund",
    "renewRefund",
    "transferRefund",
    "downgrade",
    "refund",
    "refundAdjustment",
    "payment",  # the customer paying the order: unit_price is the amount paid
]
ROUTES = {
    "GET /sandbox": "this list, and how many of each thing exist",
    "GET|POST /sandbox/customers": (
        "list / add a customer (name, email, country, tax_reg_id, external_id, reseller_id, "
        "street, city, postal_code, first_name, last_name, phone, no_billing_contact)"
    ),
    "GET|POST /sandbox/products": "list / add a product (mpn, name, price, currency, vendor)",
    "GET|POST /sandbox/subscriptions": "list / add a subscription (customer_id, mpn, quantity)",
    "GET|POST /sandbox/orders": (
        "list (?customer_id=) / add an order (customer_id, type, lines); types: "
        + ", ".join(ORDER_TYPES)
    ),
}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NewCustomer(_Body):
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=200, description="billing contact")
    country: str | None = Field(default="US", min_length=2, max_length=2)
    tax_reg_id: str | None = Field(default=None, max_length=50)
    external_id: str | None = Field(default=None, max_length=100)
    reseller_id: str | None = Field(default=None, min_length=1, max_length=100)
    no_billing_contact: bool = False  # a profile Xero cannot make a contact from
    street: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=50, description="SimpleAPI's +1#555#0100#")


class NewProduct(_Body):
    mpn: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=200)
    price: Amount = Field(ge=0, max_digits=14, decimal_places=4)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    vendor: str | None = Field(default=None, max_length=100)


class NewSubscription(_Body):
    customer_id: str = Field(min_length=1)
    mpn: str = Field(min_length=1)
    quantity: Amount = Field(default=Amount(1), gt=0, max_digits=12)


class OrderLine(_Body):
    mpn: str = Field(min_length=1)
    quantity: Amount = Field(default=Amount(1), gt=0, max_digits=12, decimal_places=4)
    unit_price: Amount | None = Field(default=None, ge=0, max_digits=14, decimal_places=4)
    fee: FEE_TYPES | None = None
    discount: Amount = Field(default=Amount(0), ge=0, max_digits=14, decimal_places=2)
    tax: Amount = Field(default=Amount(0), ge=0, max_digits=14, decimal_places=2)


class NewOrder(_Body):
    customer_id: str = Field(min_length=1)
    type: Literal[
        "sales", "upgrade", "downgrade", "renewal", "billing", "cancellation", "migration"
    ] = "sales"
    lines: list[OrderLine] = Field(min_length=1, max_length=100)
    status: Literal["completed", "submitted", "processing", "error", "cancelled"] = "completed"
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    subscription_id: str | None = None
    created: AwareDatetime | None = None

    @field_validator("created")
    @classmethod
    def _an_instant_in_utc(cls, value: datetime | None) -> datetime | None:
        """The order's instant in UTC, which must exist (an offset can push year 9999 past)."""
        try:
            return value.astimezone(UTC) if value is not None else None
        except OverflowError:
            raise ValueError("the instant is outside years 1 to 9999 in UTC") from None


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, default=str), status=status, mimetype="application/json")


def _refused(status: int, message: str, problems: list[dict[str, str]] | None = None) -> Response:
    return _json({"message": message, "problems": problems or []}, status)


def _parse[M: BaseModel](model: type[M]) -> M | Response:
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the decoder goes: not a body we take
        body = None
    if not isinstance(body, dict):
        return _refused(400, "send a JSON object (Content-Type: application/json)")
    try:
        return model.model_validate(body)
    except ValidationError as error:
        problems = [
            {"field": ".".join(str(p) for p in e["loc"]) or "body", "problem": e["msg"]}
            for e in error.errors()
        ]
        return _refused(400, "invalid body", problems)


def sandbox_routes(market: SimpleApiEmulator) -> Blueprint:
    """The /sandbox routes over one emulator's data."""
    routes = Blueprint("sandbox", __name__, url_prefix="/sandbox")

    @routes.get("")
    def index() -> Response:
        with market.lock:
            counts = {
                "customers": len(market.customers),
                "products": len(market.products),
                "subscriptions": len(market.subscriptions),
                "orders": len(market.orders),
            }
        return _json({"routes": ROUTES, "counts": counts})

    @routes.get("/customers")
    def customers() -> Response:
        with market.lock:
            return _json(list(market.customers.values()))

    @routes.post("/customers")
    def add_customer() -> Response:
        body = _parse(NewCustomer)
        if isinstance(body, Response):
            return body
        extra: dict[str, Any] = {}
        if body.email is not None or body.no_billing_contact:
            extra["email"] = None if body.no_billing_contact else body.email
        if body.reseller_id is not None:
            extra["reseller_id"] = body.reseller_id
        customer = market.add_customer(
            body.name, country=body.country, tax_reg_id=body.tax_reg_id, **extra
        )
        if body.external_id:
            customer["externalId"] = body.external_id
        address = {"streetAddress": body.street, "city": body.city, "postalCode": body.postal_code}
        customer["address"].update({k: v for k, v in address.items() if v is not None})
        person = {
            "firstName": body.first_name,
            "lastName": body.last_name,
            "phoneNumber": body.phone,
        }
        for contact in customer["contactPersons"]:
            contact.update({k: v for k, v in person.items() if v is not None})
        return _json(customer, 201)

    @routes.get("/products")
    def products() -> Response:
        with market.lock:
            return _json(list(market.products.values()))

    @routes.post("/products")
    def add_product() -> Response:
        body = _parse(NewProduct)
        if isinstance(body, Response):
            return body
        if body.mpn in market.products:
            return _refused(409, f"product {body.mpn} exists")
        product = market.add_product(body.mpn, body.name, str(body.price), body.currency)
        if body.vendor:
            product["vendor"] = body.vendor
        return _json(product, 201)

    @routes.get("/subscriptions")
    def subscriptions() -> Response:
        with market.lock:
            return _json(list(market.subscriptions.values()))

    @routes.post("/subscriptions")
    def add_subscription() -> Response:
        body = _parse(NewSubscription)
        if isinstance(body, Response):
            return body
        missing = _missing(market, body.customer_id, [body.mpn])
        if missing:
            return missing
        return _json(market.add_subscription(body.customer_id, body.mpn, str(body.quantity)), 201)

    @routes.get("/orders")
    def orders() -> Response:
        wanted = request.args.get("customer_id")
        with market.lock:
            rows = [o for o in market.orders.values() if wanted in (None, o["customerId"])]
        return _json(rows)

    @routes.post("/orders")
    def add_order() -> Response:
        body = _parse(NewOrder)
        if isinstance(body, Response):
            return body
        missing = _missing(market, body.customer_id, [line.mpn for line in body.lines])
        if missing:
            return missing
        subscription_id = body.subscription_id
        if subscription_id is not None and subscription_id not in market.subscriptions:
            return _refused(404, f"no subscription {subscription_id}")
        order_type, default_fee = ORDER_TYPES[body.type]
        refund = body.type == "downgrade"
        lines = []
        for line in body.lines:
            price = line.unit_price
            if price is None:
                price = Decimal(market.products[line.mpn]["prices"][0]["amount"])
            quantity = -line.quantity if refund else line.quantity
            lines.append(_fee(line, quantity, price, line.fee or default_fee))
        if subscription_id is None and body.type == "sales":
            first = body.lines[0]
            subscription_id = market.add_subscription(
                body.customer_id, first.mpn, str(first.quantity)
            )["id"]
        order = market.add_order(
            body.customer_id,
            lines,
            order_type=order_type,
            status=body.status,
            currency=body.currency,
            created=body.created,
            subscription_id=subscription_id,
        )
        if body.type == "cancellation" and subscription_id is not None:
            market.subscriptions[subscription_id]["status"] = "terminated"
        return _json(order, 201)

    return routes


def _fee(line: OrderLine, quantity: Decimal, price: Decimal, fee_type: str) -> dict[str, Any]:
    from local.simpleapi_emulator import fee

    return fee(
        line.mpn,
        str(quantity),
        str(price),
        type=fee_type,
        discount=str(line.discount),
        tax=str(line.tax),
    )


def _missing(market: SimpleApiEmulator, customer_id: str, mpns: list[str]) -> Response | None:
    if customer_id not in market.customers:
        return _refused(404, f"no customer {customer_id}")
    unknown = sorted({mpn for mpn in mpns if mpn not in market.products})
    if unknown:
        return _refused(404, f"no product {', '.join(unknown)}")
    return None
