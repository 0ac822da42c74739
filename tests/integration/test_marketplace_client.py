"""The SimpleAPI client against its emulator: retries, token renewal, correlation ids."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from cbxero.adapters.marketplace import SimpleApiClient
from cbxero.domain.errors import InvalidInput, UpstreamUnavailable
from cbxero.ports import Clock
from local.simpleapi_emulator import DEFAULT_RESELLER, SimpleApiEmulator
from local.stack import LoopbackServer


class Counting(requests.Session):
    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.paths.append(str(request.path_url).split("?")[0])
        return super().send(request, **kwargs)


@pytest.fixture
def market() -> Iterator[tuple[SimpleApiEmulator, SimpleApiClient, Counting, list[float]]]:
    emulator = SimpleApiEmulator()
    emulator.seed()
    server = LoopbackServer(emulator.app).start()
    session, slept = Counting(), list[float]()
    client = SimpleApiClient(
        base_url=server.url,
        username="local-reseller",
        password="local-password",
        subscription_key="local-subscription",
        http=session,
        clock=Clock(),
        sleep=slept.append,
    )
    try:
        yield emulator, client, session, slept
    finally:
        server.stop()


SINCE = datetime.now(UTC) - timedelta(days=1)


def test_server_errors_are_retried_with_backoff(market: Any) -> None:
    emulator, client, session, slept = market
    customer = next(iter(emulator.customers))
    emulator.add_order(customer, [("MS-TEAMS-ESS", 1, "4.00")])
    emulator.faults.extend(["500", "500"])
    assert len(client.orders(customer, SINCE)) == 1
    assert len(slept) == 2
    assert session.paths.count("/orders") == 3


def test_an_expired_token_is_renewed_once(market: Any) -> None:
    emulator, client, session, _ = market
    client.customers(DEFAULT_RESELLER)
    emulator.faults.append("expire")
    assert len(client.customers(DEFAULT_RESELLER)) == 2
    assert session.paths.count("/token") == 2


def test_a_lasting_outage_names_the_correlation_id(market: Any) -> None:
    emulator, client, _, slept = market
    emulator.faults.extend(["500"] * 4)
    with pytest.raises(UpstreamUnavailable) as outage:
        client.products()
    assert "answered 500 (correlation id " in outage.value.message
    assert len(slept) == 3  # four tries, three waits


def test_an_unknown_customer_is_not_retried(market: Any) -> None:
    from cbxero.domain.errors import NotFound

    _, client, session, slept = market
    with pytest.raises(NotFound):
        client.customer(DEFAULT_RESELLER, "nobody")
    assert (session.paths.count("/customers/nobody"), slept) == (1, [])


def test_a_customer_is_read_with_one_request(market: Any) -> None:
    emulator, client, session, _ = market
    made = emulator.add_customer("Nordwind GmbH")
    client.customers(DEFAULT_RESELLER)  # the token is fetched
    session.paths.clear()
    assert client.customer(DEFAULT_RESELLER, made["id"]).name == "Nordwind GmbH"
    assert session.paths == [f"/customers/{made['id']}"]


def test_another_resellers_customer_is_not_found(market: Any) -> None:
    from cbxero.domain.errors import NotFound

    emulator, client, _, _ = market
    theirs = emulator.add_customer("Someone Else's Ltd", reseller_id="reseller-2002")
    with pytest.raises(NotFound) as missing:
        client.customer(DEFAULT_RESELLER, theirs["id"])
    assert missing.value.message == f"no marketplace customer {theirs['id']}"  # as if missing
    assert theirs["id"] not in {c.id for c in client.customers(DEFAULT_RESELLER)}
    assert client.customer("reseller-2002", theirs["id"]).name == "Someone Else's Ltd"


@pytest.mark.parametrize("bad", ["../orders", "..", "1/2", "a?b", "a#b", "a b", "1\n", ""])
def test_an_id_is_checked_before_it_goes_into_a_path(
    market: tuple[SimpleApiEmulator, SimpleApiClient, Counting, list[float]], bad: str
) -> None:
    _, client, session, _ = market
    with pytest.raises(InvalidInput) as refused:
        client.customer(DEFAULT_RESELLER, bad)
    with pytest.raises(InvalidInput):
        client.order(bad)
    assert refused.value.field == "customer_id"
    assert session.paths == []  # nothing was asked of SimpleAPI
