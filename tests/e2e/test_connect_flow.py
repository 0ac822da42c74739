"""The connect flow through the HTTP front and the Xero emulator's consent page: the callback's
answers a person sees, the Action Log's names, and a reconnect to another organisation."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from local.stack import LOCAL_STORE_PAGE, LocalStack
from tests.e2e.test_connection_hijack import Browser

RESELLER = "reseller-flow"
ANN = "ann@reseller.example"


@pytest.fixture
def two_orgs(dynamodb_local: str) -> Iterator[LocalStack]:
    with LocalStack(
        dynamodb_endpoint=dynamodb_local,
        quiet=True,
        auto_consent=False,
        organisations=["First Org Ltd", "Second Org Ltd"],
    ) as stack:
        yield stack


def _connect(stack: LocalStack, org: str) -> Browser:
    ann = Browser(stack, RESELLER, ANN)
    finished = ann.land(ann.consent(ann.start(), only=org))
    assert finished is None or finished.status_code == 200, finished.text
    return ann


def test_a_return_url_on_another_port_is_refused(two_orgs: LocalStack) -> None:
    ann = Browser(two_orgs, RESELLER, ANN)
    for url in ("http://localhost:8080/store", "http://localhost:99999/store"):
        answer = ann.api("GET", "/xero/connect", params={"return_url": url})
        assert answer.status_code == 400, url
        assert answer.json()["fields"][0]["field"] == "return_url"


def test_a_forged_state_gets_a_plain_page_and_a_replay_goes_back_to_the_store(
    two_orgs: LocalStack,
) -> None:
    stack = two_orgs
    forged = requests.get(
        f"{stack.front_url}/xero/callback", params={"state": "forged", "code": "x"}, timeout=10
    )
    assert forged.status_code == 400
    assert forged.headers["Content-Type"].startswith("text/html")
    assert "cannot be used" in forged.text
    huge = requests.get(
        f"{stack.front_url}/xero/callback", params={"state": "s" * 5000}, timeout=10
    )
    assert (huge.status_code, huge.headers["Content-Type"][:9]) == (400, "text/html")
    # A state the resolver cannot even read as one value (found by the fuzz run): still a page.
    garbled = requests.get(f"{stack.front_url}/xero/callback?state=a%2Cb&state=c", timeout=10)
    assert (garbled.status_code, garbled.headers["Content-Type"][:9]) == (400, "text/html")
    ann = Browser(stack, RESELLER, ANN)
    ann.consent(ann.start(), only="First Org Ltd")
    # The same callback URL opened again (the back button, or a replay).
    replay = ann.session.get(ann.last_callback, allow_redirects=False, timeout=10)
    assert replay.status_code == 302
    assert replay.headers["Location"] == f"{LOCAL_STORE_PAGE}?xero=error&reason=state_used"


def test_the_callback_error_is_stored_cleaned_and_named_after_the_person(
    two_orgs: LocalStack,
) -> None:
    stack = two_orgs
    ann = Browser(stack, RESELLER, ANN)
    state = parse_qs(urlsplit(ann.start()).query)["state"][0]
    raw = "access_denied\n<img src=x onerror=alert(1)>" + "y" * 500
    back = requests.get(
        f"{stack.front_url}/xero/callback",
        params={"state": state, "error": raw},
        allow_redirects=False,
        timeout=10,
    )
    assert back.status_code == 302
    log = stack.api("GET", "/action-log", RESELLER).json()["items"]
    assert len(log) == 1
    assert "<" not in log[0]["message"] and "\n" not in log[0]["message"]
    assert len(log[0]["message"]) <= len("Xero authorization ended: ") + 64
    assert log[0]["actor"] == ANN


def test_connect_entries_name_the_person(two_orgs: LocalStack) -> None:
    _connect(two_orgs, "First Org Ltd")
    log = two_orgs.api("GET", "/action-log", RESELLER).json()["items"]
    assert [e["actor"] for e in log if e["action"] == "xero_connection"] == [ANN]


def test_reconnecting_to_another_organisation_sets_old_links_aside_once_confirmed(
    two_orgs: LocalStack,
) -> None:
    stack = two_orgs
    _connect(stack, "First Org Ltd")
    first = stack.xero.organisation("First Org Ltd")
    first.items["MS-TEAMS-ESS"] = {"ItemID": "i-1", "Code": "MS-TEAMS-ESS", "Name": "Teams"}
    first.contacts["contact-1"] = {"ContactID": "contact-1", "Name": "Alpha Corp"}
    customer = next(iter(stack.marketplace.customers.values()))
    customer["resellerId"] = RESELLER
    stack.api(
        "PUT", "/products/MS-TEAMS-ESS", RESELLER, json={"xero_item_code": "MS-TEAMS-ESS"}
    ).raise_for_status()
    linked = stack.api(
        "PUT", f"/customers/{customer['id']}", RESELLER, json={"xero_contact_id": "contact-1"}
    )
    assert linked.status_code == 200, linked.text

    _connect(stack, "Second Org Ltd")  # a reconnect that picks another organisation
    status = stack.api("GET", "/xero/connection", RESELLER).json()
    assert status["status"] != "connected"  # noticed: nothing syncs to it yet
    second = stack.xero.organisation("Second Org Ltd").tenant_id
    unconfirmed = stack.api("PUT", "/xero/connection/tenant", RESELLER, json={"tenant_id": second})
    assert unconfirmed.status_code == 409
    confirmed = stack.api(
        "PUT",
        "/xero/connection/tenant",
        RESELLER,
        json={"tenant_id": second, "confirm_switch": True},
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["organisation_name"] == "Second Org Ltd"
    rows = stack.api("GET", "/customers", RESELLER).json()
    assert [r.get("xero_contact_id") for r in rows if r["customer_id"] == customer["id"]] == [None]
    products = stack.api("GET", "/products", RESELLER).json()
    assert all(not p.get("xero_item_code") for p in products)
    log = stack.api("GET", "/action-log", RESELLER).json()["items"]
    assert any("set aside" in e["message"] for e in log)


def test_a_connect_by_hand_lands_on_a_local_store_page_that_says_what_to_do(
    two_orgs: LocalStack,
) -> None:
    """By hand (`make dev`), the consent once sent the browser to http://localhost/store/xero,
    where nothing answers: a person saw "This site can't be reached" and had to fish the flow
    handle out of the address bar. The local front serves that page itself."""
    stack = two_orgs
    ann = Browser(stack, RESELLER, ANN)
    started = ann.api("GET", "/xero/connect", params={"return_url": stack.store_page})
    assert started.status_code == 200, started.text
    ann.verifier = started.json()["verifier"]
    landed = ann.consent(started.json()["authorization_url"], only="First Org Ltd")
    assert landed.startswith(f"{stack.store_page}?xero=pending&flow=")
    flow = parse_qs(urlsplit(landed).query)["flow"][0]
    page = requests.get(landed, timeout=10)
    assert (page.status_code, page.headers["Content-Type"][:9]) == (200, "text/html")
    assert flow in page.text and "/xero/connection/complete" in page.text
    finished = ann.land(landed)
    assert finished is not None
    assert finished.status_code == 200, finished.text
    refused = requests.get(
        stack.store_page, params={"xero": "error", "reason": "<script>x</script>"}, timeout=10
    )
    assert refused.status_code == 200 and "<script>" not in refused.text
    assert "&lt;script&gt;" in refused.text
