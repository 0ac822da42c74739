"""CloudBlue Commerce SimpleAPI 1.15 client: bearer token, paged lists, orders with fee lines."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import requests
from aws_lambda_powertools import Logger

from cbxero.adapters.retry import jittered_backoff
from cbxero.adapters.wire import utc_stamp
from cbxero.domain.errors import InvalidInput, NotFound, UpstreamUnavailable
from cbxero.domain.history import open_billing
from cbxero.domain.marketplace import (
    MARKETPLACE_ID_PATTERN,
    ContactPerson,
    LineKind,
    MarketplaceCustomer,
    MarketplaceOrder,
    MarketplaceProduct,
    Money,
    OrderLine,
)
from cbxero.ports import Clock, Marketplace

TIMEOUT = (5, 30)
BILLING_ORDER_PREFIX = "BO"
PAGE_SIZE = 100
TOKEN_MARGIN = timedelta(seconds=60)
logger = Logger(child=True)


_ID = re.compile(MARKETPLACE_ID_PATTERN, re.ASCII)

# SimpleAPI 1.15's OrderDetail types, each as the kind of line the domain decides on.
DETAIL_KINDS: dict[str, LineKind] = {
    **dict.fromkeys(
        (
            "unknown",
            "setup",
            "switch",
            "renew",
            "transfer",
            "recurring",
            "overuse",
            "discount",  # a negative charge
            "adjustment",
            "handlingFee",
            "nonProvisioningItem",
            "billPenalty",
        ),
        LineKind.CHARGE,
    ),
    **dict.fromkeys(
        (
            "setupRefund",
            "renewRefund",
            "transferRefund",
            "recurringRefund",
            "downgrade",
            "refund",
            "refundAdjustment",
        ),
        LineKind.REFUND,
    ),
    "cancellation": LineKind.CANCELLATION_FEE,
    **dict.fromkeys(("payment", "resellerPayment", "deposit", "billRecord"), LineKind.PAYMENT),
}


# The detail type that is the customer paying the order. A deposit is money on account (a
# prepayment in Xero's terms), a reseller's payment and a bill record are not the customer's.
ORDER_PAYMENTS = frozenset({"payment"})


def line_kind(detail_type: str) -> LineKind:
    """The kind of an OrderDetail type. A type this table does not know (a later SimpleAPI's)
    is a charge, as "unknown" is: a charge keeps the line's sign (a refund's would be turned
    round for a credit note) and needs a mapped product, so it stops the task rather than
    vanish as a payment would, and the totals check still holds it to the order's total."""
    return DETAIL_KINDS.get(detail_type, LineKind.CHARGE)


def _segment(value: str, name: str) -> str:
    """An id as one path segment: checked against the id pattern, then percent-escaped."""
    if not _ID.fullmatch(value):
        raise InvalidInput(f"not a marketplace id: {value[:64]!r}", field=name)
    return quote(value, safe="")


class SimpleApiClient(Marketplace):
    def __init__(
        self,
        *,
        base_url: str,
        username: str,
        password: str,
        subscription_key: str,
        http: requests.Session,
        clock: Clock,
        sleep: Callable[[float], None] = time.sleep,
        attempts: int = 4,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._sleep = sleep
        self._attempts = attempts
        self._basic = (username, password)
        self._subscription_key = subscription_key
        self._http = http
        self._clock = clock
        self._bearer: str | None = None
        self._bearer_expires = clock.now()

    def _token(self) -> str:
        if self._bearer is None or self._clock.now() >= self._bearer_expires - TOKEN_MARGIN:
            response = self._http.post(
                f"{self._base}/token",
                json={},
                auth=self._basic,
                headers={"X-Subscription-Key": self._subscription_key},
                timeout=TIMEOUT,
            )
            if response.status_code >= 400:
                raise UpstreamUnavailable(
                    f"marketplace token request answered {response.status_code}"
                )
            body = response.json()
            self._bearer = str(body["token"])
            self._bearer_expires = self._clock.now() + timedelta(
                seconds=int(body["expiresInSeconds"])
            )
        return self._bearer

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET with the bearer token; 5xx and network errors retried with jittered back-off,
        a refused (expired) token renewed once. Failures name SimpleAPI's correlation id."""
        problem = ""
        renewed = False
        for attempt in range(self._attempts):
            try:
                response = self._http.get(
                    self._base + path,
                    params=params,
                    headers={
                        "Authorization": f"Bearer {self._token()}",
                        "X-Subscription-Key": self._subscription_key,
                    },
                    timeout=TIMEOUT,
                )
            except requests.RequestException as error:
                problem = f"marketplace GET {path}: {type(error).__name__}"
            else:
                correlation = response.headers.get("X-Correlation-ID", "none")
                if response.status_code == 401 and not renewed:
                    self._bearer, renewed = None, True  # expired early or revoked: once more
                    continue
                if response.status_code == 404:
                    raise NotFound(f"marketplace has no {path} (correlation id {correlation})")
                if response.status_code < 400:
                    return response.json()
                problem = (
                    f"marketplace GET {path} answered {response.status_code} "
                    f"(correlation id {correlation})"
                )
                if response.status_code < 500 and response.status_code != 429:
                    break  # a request SimpleAPI will refuse again
            logger.warning(
                "marketplace call failed", extra={"problem": problem, "try": attempt + 1}
            )
            if attempt + 1 < self._attempts:
                self._sleep(jittered_backoff(attempt))
        raise UpstreamUnavailable(problem)

    def _pages(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = self._get(path, {**params, "offset": offset, "limit": PAGE_SIZE})
            found.extend(page.get("data") or [])
            offset += PAGE_SIZE
            if offset >= int(page.get("pagination", {}).get("total", 0)):
                return found

    def orders(self, customer_id: str, created_from: datetime) -> list[MarketplaceOrder]:
        raw = self._pages(
            "/orders",
            {
                "customerId": customer_id,
                "creationTimeFrom": utc_stamp(created_from),
            },
        )
        # A list row without its fee lines is read whole (GET /orders/{id}).
        whole = (o if "details" in o else self._order(str(o["id"])) for o in raw)
        return sorted((order_from_api(o) for o in whole), key=lambda o: (o.created_at, o.id))

    def open_billing(self, customer_id: str) -> list[MarketplaceOrder]:
        """GET /subscriptions?customerId=&status=active, then each one's orders
        (GET /orders?customerId=&subscriptionId=); the newest completed charge of each, read
        whole when its list row lacks the fee lines."""
        found: list[MarketplaceOrder] = []
        active = self._pages("/subscriptions", {"customerId": customer_id, "status": "active"})
        for subscription in active:
            if subscription.get("status") != "active" or not subscription.get("id"):
                continue  # the filter is the gateway's; what comes back is checked here
            rows = self._pages(
                "/orders", {"customerId": customer_id, "subscriptionId": str(subscription["id"])}
            )
            chosen = open_billing([order_from_api(row) for row in rows])
            if chosen is not None:
                raw = next(row for row in rows if str(row["id"]) == chosen.id)
                found.append(chosen if "details" in raw else self.order(chosen.id))
        return sorted({o.id: o for o in found}.values(), key=lambda o: (o.created_at, o.id))

    def _order(self, order_id: str) -> dict[str, Any]:
        return dict(self._get(f"/orders/{_segment(order_id, 'order_id')}"))

    def order(self, order_id: str) -> MarketplaceOrder:
        return order_from_api(self._order(order_id))

    def customer(self, reseller_id: str, customer_id: str) -> MarketplaceCustomer:
        """One GET /customers/{id}; the credential sees the provider's customers, so another
        reseller's answers NotFound, as a missing one does."""
        path = f"/customers/{_segment(customer_id, 'customer_id')}"
        try:
            raw = self._get(path)
        except NotFound:
            raw = None
        if raw is None or raw.get("resellerId") != reseller_id:
            raise NotFound(f"no marketplace customer {customer_id}", field="customer_id")
        return customer_from_api(raw)

    def customers(self, reseller_id: str) -> list[MarketplaceCustomer]:
        """The reseller's customers, from the provider's list (SimpleAPI 1.15 does not say what
        its resellerId filter matches, so the list is read whole and scoped here)."""
        listed = self._pages("/customers", {})
        return [customer_from_api(c) for c in listed if c.get("resellerId") == reseller_id]

    def products(self) -> list[MarketplaceProduct]:
        return [
            MarketplaceProduct(mpn=p["mpn"], name=p.get("name") or p["mpn"])
            for p in self._pages("/products", {})
            if p.get("mpn")
        ]


LEAP_SECOND = re.compile(r"(T|\s)(\d\d:\d\d):60")


def simpleapi_time(value: object) -> object:
    """An order's time as SimpleAPI writes it (`2019-12-11 17:32:28+00:00`, or RFC 3339): one
    without an offset is UTC (as the emulator reads it), a leap second (`:60`, which RFC 3339
    allows) is the second before. Anything else is left for the model to refuse."""
    if not isinstance(value, str):
        return value
    try:
        parsed = datetime.fromisoformat(LEAP_SECOND.sub(r"\1\2:59", value.strip()))
    except ValueError:
        return value
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _money(value: dict[str, Any] | None, currency: str) -> Money:
    value = value or {}
    return Money(
        amount=Decimal(str(value.get("amount", "0"))), currency=value.get("currency") or currency
    )


def order_from_api(raw: dict[str, Any]) -> MarketplaceOrder:
    """SimpleAPI's Order / OrderDetailed to the domain's order."""
    total = raw.get("total") or {}
    currency = total.get("currency") or "USD"
    lines = tuple(
        OrderLine(
            kind=line_kind(d.get("type", "unknown")),
            mpn=d.get("mpn", ""),
            description=d.get("description", ""),
            quantity=Decimal(str(d.get("quantity", 1))),
            unit_price=_money(d.get("unitPrice"), currency),
            extended_price=_money(d.get("extendedPrice"), currency),
            discount_amount=Decimal(str((d.get("discount") or {}).get("amount", "0"))),
            tax_amount=Decimal(str((d.get("taxAmount") or {}).get("amount", "0"))),
            pays_order=d.get("type") in ORDER_PAYMENTS,
        )
        for d in raw.get("details") or []
    )
    number = raw.get("orderNumber") or str(raw["id"])
    kind = raw.get("type") or "unknown"
    if kind == "unknown" and number.startswith(BILLING_ORDER_PREFIX):
        kind = "billing"  # SimpleAPI names no billing type; billing orders are numbered BO...
    return MarketplaceOrder(
        id=str(raw["id"]),
        order_number=number,
        type=kind,
        status=raw.get("status", "submitted"),
        customer_id=str(raw["customerId"]),
        created_at=simpleapi_time(raw["creationDate"]),
        total=_money(total, currency),
        lines=lines,
    )


def customer_from_api(raw: dict[str, Any]) -> MarketplaceCustomer:
    persons = raw.get("contactPersons") or []
    person = next(
        (p for p in persons if p.get("type") == "billing"), persons[0] if persons else None
    )
    address = raw.get("address") or {}
    return MarketplaceCustomer(
        id=str(raw["id"]),
        name=raw.get("name", ""),
        tax_reg_id=raw.get("taxRegId"),
        email=person.get("email") if person else None,
        contact=ContactPerson(
            first_name=person.get("firstName", ""),
            last_name=person.get("lastName", ""),
            email=person.get("email", ""),
            phone=person.get("phoneNumber", ""),
        )
        if person
        else None,
        street=address.get("streetAddress"),
        city=address.get("city"),
        postal_code=address.get("postalCode"),
        country_code=address.get("countryCode"),
    )
