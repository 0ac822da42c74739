"""The Xero emulator's OAuth rules, through Flask's test client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from local.xero_emulator import XeroEmulator

BASIC = {"Authorization": "Basic bG9jYWwtY2xpZW50OmxvY2FsLXNlY3JldA=="}  # local-client:local-secret


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def authorization_code(client: Any) -> dict[str, str]:
    """The token request for a fresh code from the automatic consent."""
    consent = client.get(
        "/identity/connect/authorize",
        query_string={
            "response_type": "code",
            "client_id": "local-client",
            "redirect_uri": "http://localhost/cb",
            "scope": "offline_access",
            "state": "s",
        },
    )
    code = consent.headers["Location"].split("code=")[1].split("&")[0]
    return {"grant_type": "authorization_code", "code": code, "redirect_uri": "http://localhost/cb"}


def connected() -> tuple[XeroEmulator, Any, dict[str, Any], Clock]:
    emulator = XeroEmulator()
    clock = Clock()
    emulator.clock = clock
    client = emulator.app.test_client()
    tokens = client.post("/connect/token", data=authorization_code(client), headers=BASIC)
    return emulator, client, tokens.get_json(), clock


def refresh(client: Any, token: str) -> Any:
    return client.post(
        "/connect/token",
        data={"grant_type": "refresh_token", "refresh_token": token},
        headers=BASIC,
    )


def test_a_code_works_once() -> None:
    client = XeroEmulator().app.test_client()
    exchange = authorization_code(client)
    assert client.post("/connect/token", data=exchange, headers=BASIC).status_code == 200
    replay = client.post("/connect/token", data=exchange, headers=BASIC)
    assert replay.get_json() == {"error": "invalid_grant"}


def test_a_rotated_refresh_token_stays_usable_for_thirty_minutes() -> None:
    _, client, tokens, clock = connected()
    first = refresh(client, tokens["refresh_token"])
    assert first.status_code == 200
    clock.now += timedelta(minutes=29)
    assert refresh(client, tokens["refresh_token"]).status_code == 200
    clock.now += timedelta(minutes=2)
    assert refresh(client, tokens["refresh_token"]).get_json() == {"error": "invalid_grant"}
    assert refresh(client, first.get_json()["refresh_token"]).status_code == 200


def test_an_unused_refresh_token_dies_after_sixty_days() -> None:
    _, client, tokens, clock = connected()
    clock.now += timedelta(days=60, minutes=1)
    assert refresh(client, tokens["refresh_token"]).get_json() == {"error": "invalid_grant"}


def test_revocation_ends_every_token_of_the_consent() -> None:
    _, client, tokens, _ = connected()
    newer = refresh(client, tokens["refresh_token"]).get_json()
    assert (
        client.post(
            "/connect/revocation", data={"token": newer["refresh_token"]}, headers=BASIC
        ).status_code
        == 200
    )
    assert refresh(client, newer["refresh_token"]).get_json() == {"error": "invalid_grant"}
    bearer = {"Authorization": f"Bearer {newer['access_token']}"}
    assert client.get("/connections", headers=bearer).status_code == 401


def test_wrong_client_secret_is_refused() -> None:
    _, client, tokens, _ = connected()
    wrong = {"Authorization": "Basic bG9jYWwtY2xpZW50Ondyb25n"}  # local-client:wrong
    answer = client.post(
        "/connect/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers=wrong,
    )
    assert answer.status_code == 401


def test_deleting_a_connection_removes_the_tenant() -> None:
    _, client, tokens, _ = connected()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    (connection,) = client.get("/connections", headers=bearer).get_json()
    assert client.delete(f"/connections/{connection['id']}", headers=bearer).status_code == 204
    assert client.get("/connections", headers=bearer).get_json() == []


def test_a_where_clause_it_cannot_read_is_refused_not_ignored() -> None:
    """An unread `where` once matched every document: a client sending a form the emulator did
    not know (a Guid, a comparison) got the whole organisation back, as if it had matched."""
    emulator, client, tokens, _clock = connected()
    org = emulator.organisation()
    for number, reference in (("INV-1", "SO1"), ("INV-2", "SO2")):
        invoice_id = f"00000000-0000-0000-0000-00000000000{number[-1]}"
        org.invoices[invoice_id] = {
            "InvoiceID": invoice_id,
            "InvoiceNumber": number,
            "Reference": reference,
            "Status": "DRAFT",
            "Total": 10.0,
        }
    headers = {"Authorization": f"Bearer {tokens['access_token']}", "xero-tenant-id": org.tenant_id}

    def numbers(where: str) -> tuple[int, list[str]]:
        answer = client.get("/api.xro/2.0/Invoices", query_string={"where": where}, headers=headers)
        found = [i["InvoiceNumber"] for i in (answer.get_json() or {}).get("Invoices", [])]
        return answer.status_code, found

    assert numbers('Reference=="SO2"') == (200, ["INV-2"])
    assert numbers('Reference=="SO1" OR Reference=="SO2"')[1] == ["INV-1", "INV-2"]
    assert numbers('Reference.Contains("SO") AND InvoiceNumber=="INV-1"') == (200, ["INV-1"])
    assert numbers('Reference=="SO1 AND SO2"') == (200, [])  # AND inside a value is the value's
    guid = 'InvoiceID==Guid("00000000-0000-0000-0000-000000000002")'
    assert numbers(guid) == (200, ["INV-2"])
    for unread in ("Total>5", 'Foo=="x" OR', "InvoiceNumber==INV-1", 'Reference=="SO1" XOR 1'):
        status, found = numbers(unread)
        assert (status, found) == (400, []), unread
