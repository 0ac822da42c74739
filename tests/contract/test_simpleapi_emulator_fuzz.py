"""The SimpleAPI emulator holds to SimpleAPI 1.15 under any input, not only our client's.

Fixed cases first (each was a finding: a 5xx, an ignored filter, a wrong time zone); then
Hypothesis draws requests for every operation our client uses, with every documented filter
and hostile values (bad dates, paging out of bounds, unknown ids, control characters), and
checks each answer: no 5xx, a 400 for what the spec refuses, every row matching the filters
asked for, and every success valid against the official spec (openapi-core).
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from local.simpleapi_emulator import SimpleApiEmulator, fee
from local.wsgi import session_for

URL = "http://simpleapi.emulator"
T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Market:
    """A seeded emulator with a signed-in session; `get` answers and remembers each exchange."""

    def __init__(self) -> None:
        self.emulator = SimpleApiEmulator()
        self.emulator.seed()
        m = self.emulator
        krauses, incomplete = list(m.customers)
        m.customers[krauses]["externalId"] = "EXT-1"
        other = m.add_customer("Other Reseller's Customer", reseller_id="reseller-2002")
        self.customers = [krauses, incomplete, other["id"]]
        # Orders a minute apart from 11:57 UTC, of several types, statuses and customers.
        self.orders = [
            m.add_order(
                self.customers[n % 3],
                [fee("MS-TEAMS-ESS", n + 1, "4.00")],
                order_type=["sales", "change", "renewal", "billing", "cancellation"][n % 5],
                status="completed" if n % 4 else "submitted",
                created=T0 + timedelta(minutes=n - 3),
            )
            for n in range(7)
        ]
        self.subscriptions = [
            m.add_subscription(self.customers[n % 2], "MS-TEAMS-ESS") for n in range(3)
        ]
        self.http = session_for({URL: m.app})
        token = self.http.post(
            f"{URL}/token",
            json={},
            auth=m.credentials,
            headers={"X-Subscription-Key": m.subscription_key},
        ).json()["token"]
        self.http.headers.update(
            {"Authorization": f"Bearer {token}", "X-Subscription-Key": m.subscription_key}
        )
        self.exchanges: list[requests.Response] = []

    def get(self, path: str, params: dict[str, str] | None = None) -> requests.Response:
        response = self.http.get(URL + path, params=params, allow_redirects=False)
        self.exchanges.append(response)
        return response


@pytest.fixture(scope="module")
def market() -> Market:
    return Market()


@pytest.fixture(scope="module")
def spec(specs_dir: Path) -> OpenAPI:
    path = specs_dir / "cloudblue-simpleapi" / "simpleapi-1.15.yaml"
    document = yaml.load(path.read_text(), Loader=Loader)  # noqa: S506 - safe loader
    document["servers"] = [{"url": URL}]
    return OpenAPI.from_dict(document)


def _numbers(response: requests.Response) -> list[str]:
    return [o["orderNumber"] for o in response.json()["data"]]


# ---------------------------------------------------------------- fixed cases (findings)


def test_a_time_with_an_offset_means_that_instant(market: Market) -> None:
    # 14:00+02:00 is 12:00 UTC: the orders of 12:00, 12:01, 12:02 and 12:03, not all seven.
    later = market.get("/orders", {"creationTimeFrom": "2026-11-25T14:00:00+02:00"})
    assert _numbers(later) == [o["orderNumber"] for o in market.orders[3:]]
    earlier = market.get("/orders", {"creationTimeTo": "2026-11-25 06:58:00-05:00"})
    assert _numbers(earlier) == [o["orderNumber"] for o in market.orders[:2]]


def test_the_specs_own_date_form_is_understood(market: Market) -> None:
    found = market.get("/orders", {"creationTimeFrom": "2026-11-25 12:02:00+00:00"})
    assert found.status_code == 200
    assert _numbers(found) == [o["orderNumber"] for o in market.orders[5:]]


@pytest.mark.parametrize(
    "params",
    [
        {"creationTimeFrom": "yesterday"},
        {"creationTimeTo": "2026-13-01T00:00:00Z"},
        {"creationTimeFrom": "2026-11-25"},  # a date, not a date-time
        {"offset": "-1"},
        {"offset": "ten"},
        {"limit": "0"},
        {"limit": "1.5"},
        {"limit": str(2**63)},  # past int64
        {"offset": str(2**31)},  # past the answer's int32 pagination
    ],
)
def test_what_the_spec_refuses_is_a_400(market: Market, params: dict[str, str]) -> None:
    answer = market.get("/orders", params)
    assert answer.status_code == 400, (params, answer.status_code, answer.text[:100])
    assert "message" in answer.json()


def test_dates_at_the_end_of_time_are_no_5xx(market: Market) -> None:
    for edge in ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"]:
        answer = market.get("/orders", {"creationTimeFrom": edge})
        assert answer.status_code == 200, answer.text[:100]


@pytest.mark.parametrize(
    ("path", "params", "expected"),
    [
        ("/customers", {"name": "krauses"}, ["Krauses Factory"]),
        ("/customers", {"email": "nobody@example.com"}, []),
        ("/customers", {"externalId": "EXT-1"}, ["Krauses Factory"]),
        ("/customers", {"resellerId": "reseller-2002"}, ["Other Reseller's Customer"]),
        ("/products", {"mpn": "AZ-PLAN"}, ["Azure plan"]),
        ("/products", {"name": "teams"}, ["Microsoft Teams Essentials"]),
        ("/products", {"vendor": "nobody"}, []),
    ],
)
def test_every_documented_filter_is_honoured(
    market: Market, path: str, params: dict[str, str], expected: list[str]
) -> None:
    answer = market.get(path, {**params, "limit": "100"})
    assert [row["name"] for row in answer.json()["data"]] == expected


def test_orders_are_found_by_every_documented_key(market: Market) -> None:
    order = market.orders[2]
    by_number = market.get("/orders", {"orderNumber": order["orderNumber"]})
    assert _numbers(by_number) == [order["orderNumber"]]
    submitted = market.get("/orders", {"statusCode": "SU", "limit": "100"})
    assert {o["status"] for o in submitted.json()["data"]} == {"submitted"}
    assert market.get(f"/orders/{order['id']}").json()["orderNumber"] == order["orderNumber"]
    assert market.get("/orders/does-not-exist").status_code == 404
    assert market.get("/customers/does-not-exist").status_code == 404


# ---------------------------------------------------------------- generated requests

HOSTILE = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", " ", "%00", "../orders", "1' OR '1'='1", "\u202e", "null", "-0"]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
ZONES = [timezone(timedelta(hours=hours)) for hours in (-12, -5, 0, 2, 5, 14)]
DATES = st.one_of(
    st.datetimes(timezones=st.none() | st.sampled_from(ZONES)).map(
        lambda at: at.isoformat(sep=" " if at.second % 2 else "T")
    ),
    st.sampled_from(["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2026-02-30T00:00:00Z"]),
    HOSTILE,
)
PAGING = {"offset": st.integers(-3, 12).map(str) | HOSTILE, "limit": st.integers(-1, 12).map(str)}
FILTERS: dict[str, dict[str, st.SearchStrategy[str]]] = {
    "/customers": {
        "name": st.sampled_from(["Krauses", "profile", "x"]) | HOSTILE,
        "email": st.sampled_from(["billing@example.com"]) | HOSTILE,
        "externalId": st.sampled_from(["EXT-1"]) | HOSTILE,
        "resellerId": st.sampled_from(["reseller-1001", "reseller-2002"]) | HOSTILE,
        **PAGING,
    },
    "/orders": {
        "customerId": st.sampled_from(["1000004", "1000005"]) | HOSTILE,
        "orderNumber": st.sampled_from(["SO000007", "BO000010"]) | HOSTILE,
        "status": st.sampled_from(["completed", "submitted"]) | HOSTILE,
        "statusCode": st.sampled_from(["CP", "SU"]) | HOSTILE,
        "subscriptionId": HOSTILE,
        "creationTimeFrom": DATES,
        "creationTimeTo": DATES,
        **PAGING,
    },
    "/subscriptions": {
        "customerId": st.sampled_from(["1000001", "1000002"]) | HOSTILE,
        "status": st.sampled_from(["active", "terminated"]) | HOSTILE,
        "creationDateFrom": DATES.map(lambda text: text[:10]) | DATES,
        "creationDateTo": DATES.map(lambda text: text[:10]) | DATES,
        **PAGING,
    },
    "/products": {
        "name": st.sampled_from(["Azure", "365"]) | HOSTILE,
        "mpn": st.sampled_from(["AZ-PLAN"]) | HOSTILE,
        "vendor": st.sampled_from(["Emulated Vendor"]) | HOSTILE,
        "serviceName": HOSTILE,
        **PAGING,
    },
}


@st.composite
def requests_for(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    path = draw(
        st.sampled_from([*FILTERS, "/orders/{id}", "/customers/{id}", "/subscriptions/{id}"])
    )
    if "{id}" in path:
        known = ["1000004", "1000006", "1000011"]
        return path.replace("{id}", quote(draw(st.sampled_from(known) | HOSTILE), safe="")), {}
    names = draw(st.sets(st.sampled_from(sorted(FILTERS[path])), max_size=4))
    return path, {name: draw(FILTERS[path][name]) for name in sorted(names)}


STATUSES: Counter[int] = Counter()


@settings(
    max_examples=int(os.environ.get("CBXERO_FUZZ_EXAMPLES", "250")),
    derandomize=os.environ.get("CBXERO_FUZZ_SEED", "fixed") == "fixed",
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(drawn=requests_for())
@example(drawn=("/orders", {"creationTimeFrom": "9999-12-31 23:59:59-05:00"}))
@example(drawn=("/orders", {"offset": "99999999999999999999"}))
@example(drawn=("/customers", {"offset": "2147483648"}))  # found by a random seed
def test_generated_requests_get_answers_the_spec_allows(
    market: Market, spec: OpenAPI, drawn: tuple[str, dict[str, str]]
) -> None:
    path, params = drawn
    answer = market.get(path, params)
    STATUSES[answer.status_code] += 1
    assert answer.status_code < 500, (path, params, answer.text[:200])
    assert answer.status_code in {200, 400, 404}, (path, params, answer.status_code)
    if answer.status_code != 200:
        assert isinstance(answer.json().get("message"), str)
        return
    request = RequestsOpenAPIRequest(answer.request)
    spec.validate_response(request, RequestsOpenAPIResponse(answer))
    if path in FILTERS:
        body = answer.json()
        assert len(body["data"]) <= body["pagination"]["limit"]
        for row in body["data"]:
            assert _matches(path, row, params), (path, params, row)


def _matches(path: str, row: dict[str, Any], params: dict[str, str]) -> bool:
    """Whether a returned row satisfies every filter asked for (an independent reading)."""
    for name, value in params.items():
        if name in {"offset", "limit"} or value == "":
            continue  # an empty filter is no filter
        if name in {"creationTimeFrom", "creationTimeTo"}:
            at = datetime.fromisoformat(row["creationDate"])
            bound = datetime.fromisoformat(value)
            bound = bound if bound.tzinfo else bound.replace(tzinfo=UTC)
            if (at < bound) if name == "creationTimeFrom" else (at > bound):
                return False
        elif name in {"creationDateFrom", "creationDateTo"}:
            day, first = date.fromisoformat(row["creationDate"]), date.fromisoformat(value)
            if (day < first) if name == "creationDateFrom" else (day > first):
                return False
        elif name == "name":
            if value.casefold() not in row["name"].casefold():
                return False
        elif name == "email":
            emails = [p.get("email", "").casefold() for p in row.get("contactPersons", [])]
            if value.casefold() not in emails:
                return False
        elif str(row.get(name, "")) != value:
            return False
    return True
