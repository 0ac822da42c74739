"""Xero's own Python SDK (xero-python), unmodified, against the emulator: what it creates it
reads back, and it sees Xero's 429 with Retry-After."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import requests

from local.stack import LoopbackServer
from local.xero_emulator import XeroEmulator

sdk = pytest.importorskip("xero_python", reason="xero-python (a test dependency) is not installed")

from xero_python.accounting import (  # noqa: E402
    AccountingApi,
    Contact,
    Contacts,
    Invoice,
    Invoices,
    Item,
    Items,
    LineItem,
)
from xero_python.api_client import ApiClient, Configuration  # noqa: E402
from xero_python.api_client.oauth2 import OAuth2Token  # noqa: E402
from xero_python.exceptions import RateLimitException  # noqa: E402


@pytest.fixture
def connected(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[XeroEmulator, AccountingApi, str]]:
    emulator = XeroEmulator()
    server = LoopbackServer(emulator.app).start()
    consent = requests.get(
        f"{server.url}/identity/connect/authorize",
        params={
            "response_type": "code",
            "client_id": "local-client",
            "redirect_uri": "http://localhost/cb",
            "scope": "offline_access accounting.invoices",
            "state": "s",
        },
        allow_redirects=False,
        timeout=10,
    )
    code = consent.headers["Location"].split("code=")[1].split("&")[0]
    token: dict[str, Any] = requests.post(
        f"{server.url}/connect/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://localhost/cb",
        },
        auth=("local-client", "local-secret"),
        timeout=10,
    ).json()
    token["expires_at"] = time.time() + token["expires_in"]
    client = ApiClient(
        Configuration(
            oauth2_token=OAuth2Token(client_id="local-client", client_secret="local-secret")
        ),
        pool_threads=1,
        oauth2_token_getter=lambda: token,
        oauth2_token_saver=lambda new: token.update(new),
    )
    api = AccountingApi(client, base_url=f"{server.url}/api.xro/2.0")
    tenant_id = emulator.organisation().tenant_id
    try:
        yield emulator, api, tenant_id
    finally:
        server.stop()


def test_the_sdk_creates_and_reads_back_a_contact_an_item_and_an_invoice(
    connected: tuple[XeroEmulator, AccountingApi, str],
) -> None:
    _, api, tenant = connected
    contact = api.create_contacts(tenant, contacts=Contacts(contacts=[Contact(name="SDK Co")]))
    contact_id = contact.contacts[0].contact_id
    item = api.create_items(tenant, items=Items(items=[Item(code="SDK-1", name="SDK item")]))
    assert item.items[0].code == "SDK-1"
    invoice = api.create_invoices(
        tenant,
        invoices=Invoices(
            invoices=[
                Invoice(
                    type="ACCREC",
                    contact=Contact(contact_id=contact_id),
                    date=date(2026, 11, 25),
                    due_date=date(2026, 12, 9),
                    reference="SDK-ORDER-1",
                    line_items=[
                        LineItem(
                            description="Seats",
                            quantity=3.0,
                            unit_amount=12.5,
                            item_code="SDK-1",
                            account_code="200",
                        )
                    ],
                )
            ]
        ),
    )
    invoice_id = invoice.invoices[0].invoice_id
    assert api.get_contact(tenant, contact_id).contacts[0].name == "SDK Co"
    assert api.get_item(tenant, item.items[0].item_id).items[0].name == "SDK item"
    read = api.get_invoice(tenant, invoice_id).invoices[0]
    assert (read.reference, read.total, read.date) == ("SDK-ORDER-1", 37.5, date(2026, 11, 25))


def test_the_sdk_sees_a_429_with_retry_after(
    connected: tuple[XeroEmulator, AccountingApi, str],
) -> None:
    emulator, api, tenant = connected
    emulator.fault_retry_after = 42
    emulator.faults.append("429")
    with pytest.raises(RateLimitException) as refused:  # a POST is not retried by the SDK
        api.update_or_create_contacts(tenant, contacts=Contacts(contacts=[Contact(name="X")]))
    assert refused.value.status == 429
    assert refused.value.headers["Retry-After"] == "42"
    assert refused.value.rate_limit == "minute"
    assert emulator.organisation().contacts == {}


def test_the_sdk_waits_out_retry_after_on_a_read(
    connected: tuple[XeroEmulator, AccountingApi, str],
) -> None:
    emulator, api, tenant = connected
    emulator.fault_retry_after = 1
    emulator.faults.append("429")
    started = time.monotonic()
    assert api.get_contacts(tenant).contacts == []
    assert time.monotonic() - started >= 1  # urllib3 slept Retry-After, then asked again
    assert len(emulator.refusals) == 1
