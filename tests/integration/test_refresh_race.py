"""Two hundred Lambdas refresh one reseller's Xero token at once (DynamoDB Local + emulator):
one refresh wins, the rest use its token; no refresh token is lost, nobody must reconnect."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
import requests

from cbxero.adapters.dynamo import DynamoConnectionRepository
from cbxero.adapters.xero import XeroIdentity
from cbxero.domain.connection import ConnectionStatus, XeroConnection
from cbxero.ports import Clock
from cbxero.services.connection import TokenVault, pkce_challenge
from local.stack import LoopbackServer
from local.xero_emulator import XeroEmulator
from tests.conftest import LocalTables
from tests.fakes import FakeActionLog, FakeCipher

PKCE_VERIFIER = "pkce-verifier-of-this-test-flow-at-least-43-characters"

RACERS = 200


@pytest.fixture
def emulator_url(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the emulator speaks http
    emulator = XeroEmulator()
    server = LoopbackServer(emulator.app).start()
    yield emulator, server.url
    server.stop()


@pytest.mark.parametrize(
    "grace", [timedelta(minutes=30), timedelta(0)], ids=["xero-grace", "no-grace"]
)
def test_two_hundred_concurrent_refreshes_lose_nothing(
    local_tables: LocalTables, emulator_url: Any, grace: timedelta
) -> None:
    emulator, url = emulator_url
    emulator.refresh_grace = grace
    client, table = local_tables.client, local_tables.names["TokensTable"]
    identity = XeroIdentity(
        client_id="local-client",
        client_secret="local-secret",
        redirect_uri="http://localhost/cb",
        scopes=["offline_access"],
        login_url=url,
        identity_url=url,
        api_url=url,
        http=requests.Session(),
        clock=Clock(),
    )
    consent = requests.get(
        identity.authorization_url("s", pkce_challenge(PKCE_VERIFIER)),
        allow_redirects=False,
        timeout=10,
    )
    code = consent.headers["Location"].split("code=")[1].split("&")[0]
    tokens = identity.exchange_code(code, PKCE_VERIFIER)
    (tenant,) = identity.tenants(tokens)
    connections = DynamoConnectionRepository(client, table, FakeCipher())
    # An access token with a minute left: every racer sees that it needs refreshing.
    almost_expired = tokens.model_copy(update={"expires_at": Clock().now() + timedelta(minutes=1)})
    connections.save(
        XeroConnection(
            reseller_id="r1",
            status=ConnectionStatus.CONNECTED,
            tenant=tenant,
            tokens=almost_expired,
        ),
        expected_version=None,
    )
    log = FakeActionLog()
    vault = TokenVault(connections=connections, identity=identity, action_log=log, clock=Clock())
    start = threading.Barrier(RACERS)

    def race(_: int) -> str:
        start.wait()
        connection = vault.connection("r1")
        assert connection.tokens is not None
        return connection.tokens.access_token.get_secret_value()

    with ThreadPoolExecutor(RACERS) as pool:
        handed_out = list(pool.map(race, range(RACERS)))

    stored = connections.get("r1")
    assert stored is not None and stored.tokens is not None
    assert stored.status is ConnectionStatus.CONNECTED  # 0 reconnects needed
    assert stored.version == 1  # one refresh won the conditional write
    assert emulator.refreshes == 1  # single flight: 200 racers, one call to Xero
    assert log.entries == []  # nobody was told to reconnect
    # Every racer got a token Xero accepts.
    for token in set(handed_out):
        answer = requests.get(
            f"{url}/connections", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert answer.status_code == 200
    # The stored refresh token still works: none was lost.
    again = identity.refresh(stored.tokens)
    assert again.refresh_token.get_secret_value() != stored.tokens.refresh_token.get_secret_value()
