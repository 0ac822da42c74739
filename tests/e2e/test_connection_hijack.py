"""The OAuth connection hijack, end to end: an attacker starts `/xero/connect` and sends the
authorization link to a victim, whose consent on the Xero emulator's page (another browser: its
own `requests.Session`, its own cookie jar) must connect nothing to anyone, and leave nothing
granted at Xero. The legitimate path (the same user, in the page that started) still connects.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from local import tokens
from local.stack import LOCAL_STORE_PAGE, LocalStack

ATTACKER = "reseller-attacker"
VICTIM = "reseller-victim"


@pytest.fixture
def consenting_stack(dynamodb_local: str) -> Iterator[LocalStack]:
    with LocalStack(dynamodb_endpoint=dynamodb_local, quiet=True, auto_consent=False) as stack:
        yield stack


class Browser:
    """A person's browser: its own cookie jar, logged in to the store as one user of a reseller."""

    def __init__(self, stack: LocalStack, reseller_id: str, user: str) -> None:
        self.stack = stack
        self.session = requests.Session()
        self.token = tokens.mint(reseller_id, user=user)
        self.verifier: str | None = None  # what the store page keeps in memory, never in a URL
        self.last_callback = ""

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(
            method,
            self.stack.front_url + path,
            headers={"Authorization": f"Bearer {self.token}"},
            allow_redirects=False,
            timeout=30,
            **kwargs,
        )

    def start(self) -> str:
        """The store page asks for the authorization link; returns it."""
        answer = self.api("GET", "/xero/connect", params={"return_url": LOCAL_STORE_PAGE})
        answer.raise_for_status()
        body = answer.json()
        self.verifier = body.get("verifier")
        return str(body["authorization_url"])

    def consent(self, authorization_url: str, only: str | None = None) -> str:
        """On Xero's page, allow access to every organisation offered (or the one named only);
        follow the redirects back to the store. Returns the store page URL the browser lands on."""
        page = self.session.get(authorization_url, timeout=30)
        assert "Allow access" in page.text
        form = {k: v[0] for k, v in parse_qs(urlsplit(authorization_url).query).items()}
        allowed = self.session.post(
            f"{self.stack.xero_server.url}/identity/connect/consent",
            data={
                **form,
                "tenant": [
                    o.tenant_id
                    for o in self.stack.xero.organisations.values()
                    if only in (None, o.name)
                ],
                "decision": "allow",
            },
            allow_redirects=False,
            timeout=30,
        )
        self.last_callback = allowed.headers["Location"]
        back = self.session.get(self.last_callback, allow_redirects=False, timeout=30)
        assert back.status_code == 302, back.text
        return str(back.headers["Location"])

    def land(self, store_url: str) -> requests.Response | None:
        """The store page the browser lands on finishes a pending flow with what it holds."""
        outcome = {k: v[0] for k, v in parse_qs(urlsplit(store_url).query).items()}
        if outcome.get("xero") != "pending":
            return None
        return self.api(
            "POST",
            "/xero/connection/complete",
            json={"flow": outcome["flow"], "verifier": self.verifier or "none-in-this-page"},
        )


def status(stack: LocalStack, reseller_id: str) -> str:
    return str(stack.api("GET", "/xero/connection", reseller_id).json()["status"])


def granted_at_xero(stack: LocalStack) -> int:
    """Organisations still connected to the app through a live refresh token."""
    with stack.xero.lock:
        return sum(len(t.grant.tenant_ids) for t in stack.xero.refresh_tokens.values())


def test_consent_in_another_browser_connects_nothing(consenting_stack: LocalStack) -> None:
    stack = consenting_stack
    attacker = Browser(stack, ATTACKER, "mallory@attacker.example")
    victim = Browser(stack, VICTIM, "victor@victim.example")

    link = attacker.start()
    landed = victim.consent(link)  # the victim clicks the link the attacker sent
    finished = victim.land(landed)  # the victim's own store page, if logged in

    assert status(stack, ATTACKER) == "not_connected"
    assert status(stack, VICTIM) == "not_connected"
    assert finished is not None and finished.status_code == 400
    assert granted_at_xero(stack) == 0  # the victim's consent was revoked at Xero
    log = stack.api("GET", "/action-log", ATTACKER).json()["items"]
    assert any("not completed by the user who started it" in e["message"] for e in log)


def test_the_attacker_cannot_finish_without_the_handle(consenting_stack: LocalStack) -> None:
    stack = consenting_stack
    attacker = Browser(stack, ATTACKER, "mallory@attacker.example")
    victim = Browser(stack, VICTIM, "victor@victim.example")

    link = attacker.start()
    landed = victim.consent(link)  # the victim is not logged in to the store: nothing more
    flow = parse_qs(urlsplit(landed).query).get("flow", ["no-flow-handle"])[0]
    assert flow not in link
    # The attacker has the verifier, but never saw the handle the victim's browser received.
    guessed = attacker.api(
        "POST",
        "/xero/connection/complete",
        json={"flow": "guessed-handle", "verifier": attacker.verifier or "x"},
    )
    assert guessed.status_code == 400
    assert status(stack, ATTACKER) == "not_connected"


def test_another_user_of_the_same_reseller_cannot_finish(consenting_stack: LocalStack) -> None:
    stack = consenting_stack
    starter = Browser(stack, ATTACKER, "ann@reseller.example")
    colleague = Browser(stack, ATTACKER, "bob@reseller.example")
    landed = colleague.consent(starter.start())
    colleague.verifier = starter.verifier  # even with the verifier, another user is refused
    refused = colleague.land(landed)
    assert refused is not None and refused.status_code == 400
    assert status(stack, ATTACKER) == "not_connected"
    assert granted_at_xero(stack) == 0


def test_the_user_who_started_connects_from_the_page_that_started(
    consenting_stack: LocalStack,
) -> None:
    stack = consenting_stack
    ann = Browser(stack, ATTACKER, "ann@reseller.example")
    landed = ann.consent(ann.start())
    assert "xero=pending" in landed
    finished = ann.land(landed)
    assert finished is not None
    assert finished.status_code == 200, finished.text
    assert finished.json()["status"] in {"connected", "choose_tenant"}
    assert status(stack, ATTACKER) == finished.json()["status"]
    # A handle works once.
    again = ann.land(landed)
    assert again is not None and again.status_code == 400


def test_a_stolen_code_under_the_attackers_own_state_connects_nothing(
    consenting_stack: LocalStack,
) -> None:
    """Authorization code injection (RFC 9700 4.5): the attacker obtains a victim's code before
    the victim's browser redeems it (a leaked redirect, a log) and replays it through the
    callback under the state of a flow the attacker started. PKCE binds each code to the flow
    that asked for it: the exchange fails, nothing connects."""
    stack = consenting_stack
    attacker = Browser(stack, ATTACKER, "mallory@attacker.example")
    victim = Browser(stack, VICTIM, "victor@victim.example")
    attacker_link = attacker.start()
    victim_link = victim.start()
    victim.session.get(victim_link, timeout=30)
    form = {k: v[0] for k, v in parse_qs(urlsplit(victim_link).query).items()}
    consented = victim.session.post(
        f"{stack.xero_server.url}/identity/connect/consent",
        data={**form, "tenant": list(stack.xero.organisations), "decision": "allow"},
        allow_redirects=False,
        timeout=30,
    )
    stolen = parse_qs(urlsplit(consented.headers["Location"]).query)["code"][0]
    own_state = parse_qs(urlsplit(attacker_link).query)["state"][0]

    callback = attacker.session.get(
        f"{stack.front_url}/xero/callback",
        params={"state": own_state, "code": stolen},
        allow_redirects=False,
        timeout=30,
    )
    assert callback.status_code == 302
    finished = attacker.land(str(callback.headers["Location"]))

    assert finished is None, finished.text  # never a pending grant to finish
    assert status(stack, ATTACKER) == "not_connected"
    assert granted_at_xero(stack) == 0


def test_no_flow_value_reaches_a_log_line(
    dynamodb_local: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """The state, the code, the flow handle and the verifier travel only where they must (the
    authorization URL, the redirects, the starting page): never into a log line, whether the
    flow is finished by its user or refused. (Logs at INFO: not a quiet stack.)"""
    with LocalStack(dynamodb_endpoint=dynamodb_local, auto_consent=False) as stack:
        seen = _two_flows(stack)
        assert status(stack, ATTACKER) == "connected"  # ann's own flow; bob's connected nothing
    out, err = capfd.readouterr()
    logged = out + err
    assert '"level":"INFO"' in logged  # the functions did log
    assert len(seen) == 8 and all(len(value) >= 16 for value in seen)
    assert [value[:6] for value in seen if value in logged] == []


def _two_flows(stack: LocalStack) -> set[str]:
    """Ann's flow finished by ann, then one finished by bob: every flow value they used."""
    seen: set[str] = set()
    for finisher in ("ann@reseller.example", "bob@reseller.example"):
        starter = Browser(stack, ATTACKER, "ann@reseller.example")
        link = starter.start()
        landed = starter.consent(link)
        query = parse_qs(urlsplit(starter.last_callback).query)
        seen |= {query["state"][0], query["code"][0], starter.verifier or ""}
        seen.add(parse_qs(urlsplit(landed).query)["flow"][0])
        finishing = Browser(stack, ATTACKER, finisher)
        finishing.verifier = starter.verifier
        finishing.land(landed)
    return seen
