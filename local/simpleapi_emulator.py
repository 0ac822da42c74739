"""A CloudBlue Commerce SimpleAPI 1.15 emulator: /token, /customers, /orders, /products,
/subscriptions, with every documented filter and SimpleAPI's paging bounds.

Run it alone: python -m local.simpleapi_emulator --port 4020. It starts with seeded data
(seed()); tests and the demo add customers and orders with add_customer() / add_order(), a
person with curl through the sandbox at /sandbox (local/sandbox.py).
"""

from __future__ import annotations

import argparse
import json
import secrets
import threading
import uuid
from collections import deque
from collections.abc import (
    Callable,
    Sequence,
)
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import Flask, Response, jsonify, request

from local.sandbox import sandbox_routes

TOKEN_LIFETIME = timedelta(minutes=25)
DEFAULT_RESELLER = "reseller-1001"  # the local stack's demo reseller (the marketplace account)
# Each customer's own billing mailbox unless one is given ({id}: the customer id), so that a
# shared mailbox is something a test chooses, never an accident of the defaults.
DEFAULT_EMAIL = "billing+{id}@example.com"


def _now() -> datetime:
    return datetime.now(UTC)


def _stamp(at: datetime) -> str:
    # isoformat writes the year in four digits (strftime's %Y writes year 1 as "1")
    return at.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def _price(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": str(amount), "currency": currency}


# Order number prefixes by order type, as the platform numbers them.
ORDER_PREFIXES = {
    "sales": "SO",
    "change": "CH",
    "renewal": "RN",
    "cancellation": "CL",
    "migration": "MG",
    "billing": "BO",
    "unknown": "UO",
}


def fee(
    mpn: str,
    quantity: int | str,
    unit_price: str,
    *,
    type: str = "recurring",
    discount: str = "0",
    tax: str = "0",
) -> dict[str, Any]:
    """One fee line for add_order: extended price is quantity x unit price, before discount."""
    extended = Decimal(str(quantity)) * Decimal(unit_price)
    return {
        "mpn": mpn,
        "quantity": quantity,
        "unit_price": unit_price,
        "extended": str(extended),
        "type": type,
        "discount": discount,
        "tax": tax,
    }


class SimpleApiEmulator:
    """The emulator's data and its Flask app. Thread-safe; inspect it directly in tests."""

    def __init__(
        self,
        *,
        username: str = "local-reseller",
        password: str = "local-password",  # noqa: S107 - the emulator's own test credential
        subscription_key: str = "local-subscription",
    ) -> None:
        self.credentials = (username, password)
        self.subscription_key = subscription_key
        self.lock = threading.RLock()
        self.tokens: dict[str, datetime] = {}
        self.clock: Callable[[], datetime] = _now  # tests move time with their own clock
        # Faults a test queues for the next data calls: "500" answers 500, "expire" voids the
        # caller's token first (as if it had expired early).
        self.faults: deque[str] = deque()
        self.customers: dict[str, dict[str, Any]] = {}
        self.products: dict[str, dict[str, Any]] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self._next_id = 1000001
        self.app = self._build_app()

    # ------------------------------------------------------------------ data
    def _id(self) -> str:
        with self.lock:
            value = str(self._next_id)
            self._next_id += 1
            return value

    def add_product(self, mpn: str, name: str, price: str, currency: str = "USD") -> dict[str, Any]:
        product = {
            "id": f"PRD{len(self.products) + 1:06d}",
            "mpn": mpn,
            "name": name,
            "vendor": "Emulated Vendor",
            "prices": [_price(Decimal(price), currency)],
        }
        with self.lock:
            self.products[mpn] = product
        return product

    def add_customer(
        self,
        name: str,
        *,
        email: str | None = DEFAULT_EMAIL,
        country: str | None = "US",
        tax_reg_id: str | None = None,
        reseller_id: str = DEFAULT_RESELLER,
    ) -> dict[str, Any]:
        customer_id = self._id()
        email = email.replace("{id}", customer_id) if email else email
        customer: dict[str, Any] = {
            "id": customer_id,
            "name": name,
            **({"taxRegId": tax_reg_id} if tax_reg_id else {}),
            "status": "active",
            "language": "en",
            "resellerId": reseller_id,
            "address": {
                "streetAddress": "1 Main Street",
                "city": "Irvine",
                "postalCode": "92612",
                "countryCode": country or "",
            },
            "contactPersons": (
                [
                    {
                        "type": "billing",
                        "firstName": "Jane",
                        "lastName": "Doe",
                        "email": email,
                        "phoneNumber": "+1#555#0100#",
                    }
                ]
                if email
                else []
            ),
        }
        with self.lock:
            self.customers[customer["id"]] = customer
        return customer

    def add_order(
        self,
        customer_id: str,
        lines: Sequence[tuple[str, int | str, str] | dict[str, Any]],
        *,
        order_type: str = "sales",
        status: str = "completed",
        currency: str = "USD",
        detail_type: str = "recurring",
        created: datetime | None = None,
        subscription_id: str | None = None,
    ) -> dict[str, Any]:
        """An order with one fee line per (mpn, quantity, unit price), or per fee() dict.

        order_type is one of the spec's (sales, change, renewal, cancellation, migration) or
        "billing": SimpleAPI has no such type, so a billing order is "unknown", numbered BO....
        """
        details, total = [], Decimal(0)
        for line in lines:
            fee_line = line if isinstance(line, dict) else fee(*line, type=detail_type)
            details.append(self._detail(fee_line, currency))
            total += Decimal(fee_line["extended"]) - Decimal(fee_line["discount"])
        order_id = self._id()
        prefix = ORDER_PREFIXES[order_type]
        order = {
            "id": order_id,
            "orderNumber": f"{prefix}{order_id[-6:]}",
            "type": "unknown" if order_type == "billing" else order_type,
            "customerId": customer_id,
            "creationDate": _stamp(created or self.clock()),
            "status": status,
            "statusCode": "CP" if status == "completed" else "SU",
            "total": _price(total, currency),
            "details": details,
            **({"subscriptionId": subscription_id} if subscription_id else {}),
        }
        with self.lock:
            self.orders[order_id] = order
        return order

    def add_subscription(
        self,
        customer_id: str,
        mpn: str,
        quantity: str = "1",
        *,
        status: str = "active",
        created: date | None = None,
        billing_months: int = 1,
    ) -> dict[str, Any]:
        """A subscription of a customer to a product (SimpleAPI's Subscription): its status,
        creation and renewal dates and its billing period (monthly unless told). Its orders are
        add_order(..., subscription_id=its id)."""
        product = self.products[mpn]
        created = created or self.clock().date()
        subscription_id = self._id()
        subscription: dict[str, Any] = {
            "id": subscription_id,
            "name": f"{product['name']} x {quantity}",
            "customerId": customer_id,
            "status": status,
            "renewalStatus": True,
            "creationDate": created.isoformat(),
            "renewalDate": _months_after(created, 12).isoformat(),
            "billingModel": "chargeBeforeBillingPeriod",
            "billingPeriod": {"type": "month", "duration": billing_months},
            "subscriptionPeriod": {"type": "year", "duration": 1},
        }
        with self.lock:
            self.subscriptions[subscription_id] = subscription
        return subscription

    def _detail(self, line: dict[str, Any], currency: str) -> dict[str, Any]:
        product = self.products[line["mpn"]]
        detail: dict[str, Any] = {
            "type": line["type"],
            "mpn": line["mpn"],
            "productId": product["id"],
            "description": f"{product['name']} - {line['type']} fee",
            "quantity": float(line["quantity"]),
            "unitPrice": _price(Decimal(line["unit_price"]), currency),
            "extendedPrice": _price(Decimal(line["extended"]), currency),
            "taxAmount": _price(Decimal(line["tax"]), currency),
        }
        if Decimal(line["discount"]):
            detail["discount"] = _price(Decimal(line["discount"]), currency)
        return detail

    def seed(self) -> None:
        """A small catalogue and two customers, one with a complete profile."""
        self.add_product("MS-O365-E3-M", "Microsoft 365 E3 (monthly)", "36.00")
        self.add_product("MS-TEAMS-ESS", "Microsoft Teams Essentials", "4.00")
        self.add_product("AZ-PLAN", "Azure plan", "0.00")
        self.add_customer("Krauses Factory")
        self.add_customer("Incomplete Profile Inc", email=None, country=None)

    # ------------------------------------------------------------------ the app
    def _build_app(self) -> Flask:
        app = Flask("simpleapi_emulator")
        app.url_map.merge_slashes = False  # "/orders/%2F1" is an unknown id, not a redirect
        app.add_url_rule("/token", view_func=self.token, methods=["POST"])
        app.add_url_rule("/customers", view_func=self.list_customers)
        app.add_url_rule("/customers/<customer_id>", view_func=self.get_customer)
        app.add_url_rule("/orders", view_func=self.list_orders)
        app.add_url_rule("/orders/<order_id>", view_func=self.get_order)
        app.add_url_rule("/products", view_func=self.list_products)
        app.add_url_rule("/subscriptions", view_func=self.list_subscriptions)
        app.add_url_rule("/subscriptions/<subscription_id>", view_func=self.get_subscription)
        app.register_blueprint(sandbox_routes(self))  # /sandbox: add things with curl
        app.after_request(_correlate)
        # Unknown paths and methods answer in SimpleAPI's JSON, not Flask's HTML.
        app.register_error_handler(404, lambda _unknown: _error(404, "not found"))
        app.register_error_handler(405, lambda _unknown: _error(405, "method not allowed"))
        return app

    def token(self) -> Response:
        auth = request.authorization
        if request.headers.get("X-Subscription-Key") != self.subscription_key:
            return _error(401, "invalid subscription key")
        if auth is None or (auth.username, auth.password) != self.credentials:
            return _error(401, "invalid credentials")
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = self.clock() + TOKEN_LIFETIME
        return jsonify({"token": token, "expiresInSeconds": int(TOKEN_LIFETIME.total_seconds())})

    def _denied(self) -> Response | None:
        if request.headers.get("X-Subscription-Key") != self.subscription_key:
            return _error(401, "invalid subscription key")
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        with self.lock:
            fault = self.faults.popleft() if self.faults else None
            if fault == "expire":
                self.tokens.pop(token, None)
            expires = self.tokens.get(token)
        if expires is None or expires <= self.clock():
            return _error(401, "invalid or expired token")
        if fault == "500":
            return _error(500, "injected fault")
        return None

    def _page(self, rows: list[dict[str, Any]]) -> Response:
        """One page of rows; offset (>= 0, default 0) and limit (>= 1, default 10) as the spec
        bounds them, anything else a 400."""
        try:
            offset = _integer("offset", 0, minimum=0)
            limit = _integer("limit", 10, minimum=1)
        except ValueError as problem:
            return _error(400, str(problem))
        return jsonify(
            {
                "data": rows[offset : offset + limit],
                "pagination": {"offset": offset, "limit": limit, "total": len(rows)},
            }
        )

    def list_customers(self) -> Response:
        if denied := self._denied():
            return denied
        args = request.args
        with self.lock:
            rows = list(self.customers.values())
        if args.get("name"):  # "similar to the provided name"
            rows = [c for c in rows if args["name"].casefold() in c["name"].casefold()]
        if args.get("email"):  # a contact person with that address
            wanted = args["email"].casefold()
            rows = [
                c
                for c in rows
                if any((p.get("email") or "").casefold() == wanted for p in c["contactPersons"])
            ]
        for name in ("externalId", "resellerId"):
            if args.get(name):
                rows = [c for c in rows if c.get(name) == args[name]]
        return self._page(rows)

    def get_customer(self, customer_id: str) -> Response:
        if denied := self._denied():
            return denied
        customer = self.customers.get(customer_id)
        return jsonify(customer) if customer else _error(404, "customer not found")

    def list_orders(self) -> Response:
        if denied := self._denied():
            return denied
        args = request.args
        with self.lock:
            rows = list(self.orders.values())
        for name in ("customerId", "subscriptionId", "orderNumber", "status", "statusCode"):
            if args.get(name):
                rows = [o for o in rows if o.get(name) == args[name]]
        try:  # instants compared as instants, whatever offset each was written with
            since = _instant(args["creationTimeFrom"]) if args.get("creationTimeFrom") else None
            until = _instant(args["creationTimeTo"]) if args.get("creationTimeTo") else None
        except ValueError as problem:
            return _error(400, str(problem))
        if since is not None:
            rows = [o for o in rows if _instant(o["creationDate"]) >= since]
        if until is not None:
            rows = [o for o in rows if _instant(o["creationDate"]) <= until]
        rows.sort(key=lambda o: (_instant(o["creationDate"]), o["id"]))
        return self._page(rows)

    def get_order(self, order_id: str) -> Response:
        if denied := self._denied():
            return denied
        order = self.orders.get(order_id)
        return jsonify(order) if order else _error(404, "order not found")

    def list_products(self) -> Response:
        if denied := self._denied():
            return denied
        args = request.args
        with self.lock:
            rows = list(self.products.values())
        if args.get("name"):
            rows = [p for p in rows if args["name"].casefold() in p["name"].casefold()]
        for name in ("mpn", "vendor", "serviceName"):
            if args.get(name):
                rows = [p for p in rows if p.get(name) == args[name]]
        return self._page(rows)

    def list_subscriptions(self) -> Response:
        if denied := self._denied():
            return denied
        args = request.args
        with self.lock:
            rows = list(self.subscriptions.values())
        for name in ("customerId", "status"):
            if args.get(name):
                rows = [s for s in rows if s.get(name) == args[name]]
        try:  # the spec's format is date (2019-12-30), as creationDate is
            since_day = _day(args["creationDateFrom"]) if args.get("creationDateFrom") else None
            until_day = _day(args["creationDateTo"]) if args.get("creationDateTo") else None
        except ValueError:
            return _error(400, "creationDateFrom and creationDateTo must be dates (YYYY-MM-DD)")
        if since_day:
            rows = [s for s in rows if date.fromisoformat(s["creationDate"]) >= since_day]
        if until_day:
            rows = [s for s in rows if date.fromisoformat(s["creationDate"]) <= until_day]
        return self._page(rows)

    def get_subscription(self, subscription_id: str) -> Response:
        if denied := self._denied():
            return denied
        subscription = self.subscriptions.get(subscription_id)
        return jsonify(subscription) if subscription else _error(404, "subscription not found")


def _months_after(day: date, months: int) -> date:
    """The same day some months later (the month's last day where it is shorter)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def _correlate(response: Response) -> Response:
    """Every SimpleAPI answer carries an X-Correlation-ID to quote to support."""
    response.headers["X-Correlation-ID"] = str(uuid.uuid4())
    return response


# The request declares int64, but the answer's pagination is int32: a bound the answer can state.
PAGING_MAX = 2**31 - 1


def _integer(name: str, default: int, *, minimum: int) -> int:
    """A paging parameter within its minimum and what pagination can state; else ValueError."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.strip().lstrip("-").isdigit() or not raw.isascii():
        raise ValueError(f"{name} must be an integer, not {raw[:40]!r}")
    value = int(raw)
    if not minimum <= value <= PAGING_MAX:
        raise ValueError(f"{name} must be between {minimum} and {PAGING_MAX}")
    return value


def _day(value: str) -> date:
    if len(value) != 10 or not value.isascii():
        raise ValueError(value)
    return date.fromisoformat(value)


def _instant(value: str) -> datetime:
    """A date-time as SimpleAPI writes them (`2019-12-11 17:32:28+00:00`, or ISO 8601 with T or
    Z), as a UTC instant; no offset means UTC. Raises ValueError for anything else."""
    text = value.strip()
    if len(text) <= 10 or not text.isascii():
        raise ValueError(f"not a date-time: {value[:40]!r}")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a date-time: {value[:40]!r}") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # past the year 9999 or before year 1 in UTC: the ends of time
        edge = datetime.max.replace(tzinfo=UTC) if parsed.year > 1 else None
        return edge or datetime.min.replace(tzinfo=UTC)


def _error(status: int, message: str) -> Response:
    return Response(json.dumps({"message": message}), status=status, mimetype="application/json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="CloudBlue SimpleAPI 1.15 emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4020)
    args = parser.parse_args(argv)
    emulator = SimpleApiEmulator()
    emulator.seed()
    print(f"SimpleAPI emulator on http://{args.host}:{args.port}")
    emulator.app.run(host=args.host, port=args.port, threaded=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
