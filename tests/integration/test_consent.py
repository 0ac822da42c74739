"""Connecting through the emulator's real consent page: allow connects, cancel stores nothing."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from local.stack import LOCAL_STORE_PAGE, LocalStack


@pytest.fixture
def consenting_stack(dynamodb_local: str) -> Iterator[LocalStack]:
    with LocalStack(dynamodb_endpoint=dynamodb_local, quiet=True, auto_consent=False) as stack:
        yield stack


def test_allowing_on_the_consent_page_connects(consenting_stack: LocalStack) -> None:
    ended = consenting_stack.connect_xero()  # the store page then finishes the pending flow
    assert ended.startswith(f"{LOCAL_STORE_PAGE}?xero=pending&flow=")
    status = consenting_stack.api("GET", "/xero/connection").json()
    assert (status["status"], status["organisation_name"]) == ("connected", "Demo Reseller Ltd")


def test_cancelling_on_the_consent_page_goes_back_with_the_reason(
    consenting_stack: LocalStack,
) -> None:
    stack = consenting_stack
    started = stack.api("GET", "/xero/connect", params={"return_url": LOCAL_STORE_PAGE}).json()
    url = started["authorization_url"]
    page = requests.get(url, timeout=10)
    assert "Allow access" in page.text
    form = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    denied = requests.post(
        f"{stack.xero_server.url}/identity/connect/consent",
        data={**form, "decision": "deny"},
        allow_redirects=False,
        timeout=10,
    )
    back = requests.get(denied.headers["Location"], allow_redirects=False, timeout=10)
    assert back.headers["Location"] == f"{LOCAL_STORE_PAGE}?xero=error&reason=access_denied"
    assert stack.api("GET", "/xero/connection").json()["status"] == "not_connected"
    log = stack.api("GET", "/action-log").json()["items"]
    assert [e["message"] for e in log] == ["Xero authorization ended: access_denied"]
