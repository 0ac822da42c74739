"""Connecting to Xero against fakes: the flow bound to the user and page that started it, the
callback's answers, a switch of organisation, and Xero refusing an organisation."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from cbxero.adapters.xero import XeroClient
from cbxero.domain.connection import ConnectionStatus, XeroConnection, XeroTenant
from cbxero.domain.errors import Conflict, InvalidInput, ReconnectNeeded
from cbxero.domain.model import CustomerLink, LogStatus, ProductMapping
from cbxero.services.connection import (
    StateSigner,
    TokenVault,
    XeroConnector,
    checked_return_url,
    pkce_challenge,
)
from tests.fakes import (
    FakeActionLog,
    FakeConnections,
    FakeIdentity,
    FakeLinks,
    FakeMappings,
    FakeOrganisations,
    FakePendingGrants,
    FakeStates,
    FixedClock,
)

RESELLER = "r1"
ANN = "ann-sub"
PAGE = "https://store.example.com/xero?tab=1"


class Flow:
    def __init__(self) -> None:
        self.clock = FixedClock()
        self.identity = FakeIdentity(self.clock)
        self.states, self.connections, self.log = FakeStates(), FakeConnections(), FakeActionLog()
        self.pending = FakePendingGrants()
        self.links, self.mappings = FakeLinks(), FakeMappings()
        self.organisations = FakeOrganisations(self.links, self.mappings)
        self.vault = TokenVault(
            connections=self.connections,
            identity=self.identity,
            action_log=self.log,
            clock=self.clock,
        )
        self.connector = XeroConnector(
            states=self.states,
            pending=self.pending,
            signer=StateSigner(lambda: b"test-key"),
            connections=self.connections,
            organisations=self.organisations,
            vault=self.vault,
            identity=self.identity,
            action_log=self.log,
            clock=self.clock,
            allowed_return_hosts=self.return_hosts,
        )
        self.host_reads = 0

    def return_hosts(self) -> list[str]:
        self.host_reads += 1
        return ["store.example.com", "shop.example.com:8443"]

    def start(self, user: str = ANN) -> tuple[str, str]:
        link = self.connector.start(RESELLER, user, f"{user}@example.com", PAGE)
        return link.authorization_url.split("state=")[1], link.verifier

    def callback(self, state: str, code: str | None = "good-code", error: str | None = None) -> str:
        outcome = self.connector.finish(state=state, code=code, error=error)
        assert outcome.location is not None, outcome.problem
        return outcome.location

    def connect(self, user: str = ANN) -> XeroConnection:
        state, verifier = self.start(user)
        flow = parse_qs(urlsplit(self.callback(state)).query)["flow"][0]
        return self.connector.complete(RESELLER, user, f"{user}@example.com", flow, verifier)


@pytest.fixture
def flow() -> Flow:
    return Flow()


def _flow_of(location: str) -> str:
    return parse_qs(urlsplit(location).query)["flow"][0]


class TestBoundToTheStartingUser:
    def test_the_code_is_redeemed_with_the_pkce_verifier_of_its_own_flow(self, flow: Flow) -> None:
        first, _ = flow.start()
        second, _ = flow.start()
        flow.callback(second)
        flow.callback(first)
        sent_second, sent_first = flow.identity.code_verifiers
        assert pkce_challenge(sent_first) == flow.identity.challenges[first]
        assert pkce_challenge(sent_second) == flow.identity.challenges[second]
        assert sent_first != sent_second and 43 <= len(sent_first) <= 128

    def test_the_callback_connects_nothing_by_itself(self, flow: Flow) -> None:
        state, _ = flow.start()
        back = flow.callback(state)
        assert back.startswith(PAGE + "&xero=pending&flow=")
        assert flow.connections.get(RESELLER) is None

    def test_the_same_user_with_the_verifier_connects(self, flow: Flow) -> None:
        connected = flow.connect()
        assert connected.status is ConnectionStatus.CONNECTED
        assert flow.log.entries[-1].status is LogStatus.SUCCESS

    @pytest.mark.parametrize(
        ("reseller", "user", "verifier"),
        [("r1", ANN, "wrong"), ("r1", "bob-sub", None), ("r2", ANN, None), ("r2", "eve", "x")],
    )
    def test_anyone_else_connects_nothing_and_the_grant_is_revoked(
        self, flow: Flow, reseller: str, user: str, verifier: str | None
    ) -> None:
        state, real = flow.start()
        handle = _flow_of(flow.callback(state))
        with pytest.raises(InvalidInput) as refused:
            flow.connector.complete(reseller, user, "someone", handle, verifier or real)
        assert refused.value.field == "flow"
        assert flow.connections.get(RESELLER) is None and flow.connections.get("r2") is None
        assert flow.identity.revoked == ["refresh-1"] and flow.identity.disconnected == ["c-1"]
        assert "not completed by the user who started it" in flow.log.entries[-1].message
        # The handle is spent: even the right user cannot use it afterwards.
        with pytest.raises(InvalidInput):
            flow.connector.complete(RESELLER, ANN, "ann", handle, real)

    def test_a_late_completion_connects_nothing(self, flow: Flow) -> None:
        state, verifier = flow.start()
        handle = _flow_of(flow.callback(state))
        flow.clock.advance(minutes=11)
        with pytest.raises(InvalidInput):
            flow.connector.complete(RESELLER, ANN, "ann", handle, verifier)
        assert flow.connections.get(RESELLER) is None
        assert flow.identity.revoked == ["refresh-1"]


class TestAbandonedConsents:
    def test_a_consent_nobody_finishes_is_revoked_when_its_time_runs_out(self, flow: Flow) -> None:
        state, _ = flow.start()
        flow.callback(state)  # consent given (in some browser); the page never finishes it
        finished_state, verifier = flow.start()
        handle = _flow_of(flow.callback(finished_state))
        flow.connector.complete(RESELLER, ANN, "ann", handle, verifier)
        assert flow.connector.release_abandoned() == 0  # not yet: it may still be finished
        flow.clock.advance(minutes=11)
        assert flow.connector.release_abandoned() == 1
        assert flow.identity.revoked == ["refresh-1"]  # the first consent, not the finished one
        assert "not finished in time" in flow.log.entries[-1].message
        assert flow.log.entries[-1].actor == f"{ANN}@example.com"
        assert flow.connector.release_abandoned() == 0
        assert flow.connections.get(RESELLER) is not None  # the finished one stays connected


class TestCallbackAnswers:
    def test_a_forged_state_gets_a_page_not_a_redirect(self, flow: Flow) -> None:
        state, _ = flow.start()
        nonce, _, _ = state.partition(".")
        for forged in (f"{nonce}.AAAA", nonce, "x.y", state + "x", None):
            outcome = flow.connector.finish(state=forged, code="good-code", error=None)
            assert outcome.location is None and outcome.problem
        assert flow.states.states[state][2] is False  # the real one is still unused

    def test_a_replayed_state_goes_back_to_the_store_with_a_reason(self, flow: Flow) -> None:
        state, _ = flow.start()
        flow.callback(state)
        assert flow.callback(state) == PAGE + "&xero=error&reason=state_used"

    def test_an_expired_state_goes_back_with_a_reason_and_nothing_is_held(self, flow: Flow) -> None:
        state, _ = flow.start()
        flow.clock.advance(minutes=11)
        assert flow.callback(state) == PAGE + "&xero=error&reason=state_expired"
        assert flow.pending.held == {} and flow.connections.writes == 0

    def test_a_missing_code_goes_back_with_a_reason(self, flow: Flow) -> None:
        state, _ = flow.start()
        assert flow.callback(state, code=None) == PAGE + "&xero=error&reason=missing_code"

    def test_the_error_parameter_is_cleaned_and_bounded_before_it_is_stored(
        self, flow: Flow
    ) -> None:
        state, _ = flow.start()
        raw = "access_denied\n<script>alert(1)</script>" + "x" * 300
        back = flow.callback(state, code=None, error=raw)
        message = flow.log.entries[-1].message
        assert "<" not in message and "\n" not in message
        assert len(message) < len("Xero authorization ended: ") + 65
        assert message.startswith("Xero authorization ended: access_denied")
        assert "%3C" not in back and "<" not in back

    def test_connect_entries_name_the_person(self, flow: Flow) -> None:
        flow.connect()
        state, _ = flow.start()
        flow.callback(state, code=None, error="access_denied")
        assert {e.actor for e in flow.log.entries} == {f"{ANN}@example.com"}


class TestReturnUrl:
    @pytest.mark.parametrize(
        "url",
        [
            "https://evil.example.com/",
            "http://store.example.com/",
            "javascript:alert(1)",
            "https://user:pw@store.example.com/",
            "not a url",
            "https://store.example.com:444/",
            "https://store.example.com:99999/",
            "https://shop.example.com/",
            "https://shop.example.com:8444/",
            # The URL goes into the callback's Location header: only a URI's printable ASCII.
            "https://store.example.com/\x00",
            "https://store.example.com/\r\nSet-Cookie: a=b",
            "https://store.example.com/a page",
            "https://store.example.com/\x1b[31m",
            "https://store.example.com/caf\u00e9",
            "https://store.example.com@evil.example/",
            "https://store.example.com.evil.example/",
            "https://evil.example\\@store.example.com/",
            "//evil.example/",
            "https://store.example.com./",
        ],
    )
    def test_foreign_or_malformed_return_urls_are_refused(self, url: str) -> None:
        with pytest.raises(InvalidInput) as refused:
            checked_return_url(url, ["store.example.com", "shop.example.com:8443"])
        assert refused.value.field == "return_url"

    @pytest.mark.parametrize(
        "url",
        [
            "https://store.example.com/xero",
            "https://store.example.com:443/xero",
            "https://shop.example.com:8443/xero",
        ],
    )
    def test_allowed_hosts_and_ports_pass(self, url: str) -> None:
        assert checked_return_url(url, ["store.example.com", "shop.example.com:8443"]) == url


class TestChoosingAndSwitching:
    def test_choosing_one_of_several_disconnects_the_others_at_xero(self, flow: Flow) -> None:
        flow.identity.tenant_list.append(
            XeroTenant(tenant_id="t-2", name="Other", connection_id="c-2")
        )
        pending = flow.connect()
        assert pending.status is ConnectionStatus.CHOOSE_TENANT
        with pytest.raises(InvalidInput) as refused:
            flow.connector.choose_tenant(RESELLER, "tenant-9", "ann")
        assert refused.value.field == "tenant_id"
        chosen = flow.connector.choose_tenant(RESELLER, "t-2", "ann")
        assert chosen.status is ConnectionStatus.CONNECTED
        assert chosen.tenant is not None and chosen.tenant.name == "Other"
        assert flow.identity.disconnected == ["c-1"]
        # Choosing the organisation already connected is not an error.
        assert flow.connector.choose_tenant(RESELLER, "t-2", "ann").tenant == chosen.tenant

    def test_reconnecting_to_another_organisation_waits_for_a_confirmed_switch(
        self, flow: Flow
    ) -> None:
        flow.connect()
        flow.links.save(
            CustomerLink(
                reseller_id=RESELLER, customer_id="c1", xero_contact_id="x1", auto_sync=True
            )
        )
        flow.mappings.save(
            ProductMapping(reseller_id=RESELLER, mpn="M1", product_name="P", xero_item_code="I1")
        )
        other = XeroTenant(tenant_id="t-2", name="Other Org", connection_id="c-2")
        flow.identity.tenant_list = [other]

        held = flow.connect()
        assert held.status is ConnectionStatus.CHOOSE_TENANT and not held.usable
        assert held.switch_from is not None and held.switch_from.tenant_id == "tenant-1"
        assert flow.log.entries[-1].status is LogStatus.ACTION_REQUIRED
        with pytest.raises(Conflict) as refused:
            flow.connector.choose_tenant(RESELLER, "t-2", "ann")
        assert refused.value.field == "confirm_switch"
        link = flow.links.get(RESELLER, "c1")
        assert link is not None and link.xero_contact_id == "x1"  # untouched until confirmed

        switched = flow.connector.choose_tenant(RESELLER, "t-2", "ann", confirm_switch=True)
        assert switched.usable and switched.tenant == other
        link = flow.links.get(RESELLER, "c1")
        assert link is not None and link.xero_contact_id is None and link.auto_sync
        assert flow.mappings.for_reseller(RESELLER) == []
        assert len(flow.organisations.archive[(RESELLER, "tenant-1")]) == 2
        assert any("set aside" in e.message for e in flow.log.entries)
        assert flow.organisations.bound(RESELLER) == other

    def test_choosing_among_several_names_the_organisation_the_links_belong_to(
        self, flow: Flow
    ) -> None:
        flow.connect()
        other = XeroTenant(tenant_id="t-2", name="Other Org", connection_id="c-2")
        flow.identity.tenant_list = [*flow.identity.tenant_list, other]

        held = flow.connect()
        assert held.status is ConnectionStatus.CHOOSE_TENANT
        assert held.switch_from is not None and held.switch_from.tenant_id == "tenant-1"
        kept = flow.connector.choose_tenant(RESELLER, "tenant-1", "ann")  # no switch: no confirm
        assert kept.usable and kept.switch_from is None

    def test_disconnecting_before_choosing_revokes_the_consent(self, flow: Flow) -> None:
        flow.identity.tenant_list.append(
            XeroTenant(tenant_id="t-2", name="Other", connection_id="c-2")
        )
        flow.connect()
        flow.connector.disconnect(RESELLER, "ann")
        assert flow.identity.revoked == ["refresh-1"]
        assert flow.connections.get(RESELLER) is None

    def test_reconnecting_to_the_same_organisation_keeps_everything(self, flow: Flow) -> None:
        flow.connect()
        flow.links.save(CustomerLink(reseller_id=RESELLER, customer_id="c1", xero_contact_id="x1"))
        again = flow.connect()
        assert again.usable
        link = flow.links.get(RESELLER, "c1")
        assert link is not None and link.xero_contact_id == "x1"


class TestXeroRefusesTheOrganisation:
    def test_a_refusal_marks_reconnect_needed_once(self, flow: Flow) -> None:
        flow.connect()
        flow.vault.refused(RESELLER)
        flow.vault.refused(RESELLER)
        stored = flow.connections.get(RESELLER)
        assert stored is not None and stored.status is ConnectionStatus.RECONNECT_NEEDED
        asked = [e for e in flow.log.entries if e.status is LogStatus.ACTION_REQUIRED]
        assert len(asked) == 1 and "reconnect Xero" in asked[0].message
        with pytest.raises(ReconnectNeeded):
            flow.vault.connection(RESELLER)


class Answering(requests.Session):
    """A session whose every request gets one canned answer."""

    def __init__(self, status: int, body: dict[str, object]) -> None:
        super().__init__()
        self.status, self.body, self.sent = status, body, 0

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        self.sent += 1
        answer = requests.Response()
        answer.status_code = self.status
        answer._content = json.dumps(self.body).encode()
        answer.request = requests.Request(str(method), str(url)).prepare()
        return answer


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (
            403,
            {
                "Type": None,
                "Title": "Forbidden",
                "Status": 403,
                "Detail": "AuthenticationUnsuccessful",
            },
        ),
        (401, {"Type": None, "Title": "Unauthorized", "Status": 401, "Detail": "TokenExpired"}),
    ],
)
def test_xero_refusing_the_organisation_means_reconnect_and_is_reported(
    status: int, body: dict[str, object]
) -> None:
    told: list[str] = []
    wire = Answering(status, body)
    client = XeroClient(
        api_url="https://api.xero.example",
        tenant_id="t-1",
        access_token="a",
        http=wire,
        sleep=lambda _s: None,
        on_refused=lambda reason: told.append("refused"),
    )
    with pytest.raises(ReconnectNeeded):
        client.all_items()
    assert told == ["refused"] and wire.sent == 1  # not retried: retrying cannot help


def test_the_return_hosts_are_read_when_a_connect_starts_not_when_the_connector_is_built() -> None:
    # The app's host lives in a parameter store: reading it while the OAuth function was imported
    # put a network call (and, where it is unreachable, its timeout) into every cold start.
    flow = Flow()
    assert flow.host_reads == 0
    flow.start()
    assert flow.host_reads == 1
