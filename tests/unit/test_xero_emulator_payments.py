"""The Xero emulator's Payments, through Flask's test client: Xero's rules (authorised invoices
only, never over the amount due, bank accounts only) and the invoice kept in step."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from local.xero_emulator import Grant, XeroEmulator
from local.xero_emulator.payments import NOT_A_BANK, NOT_AUTHORISED, OVER_DUE

API = "/api.xro/2.0"


@pytest.fixture
def xero() -> tuple[XeroEmulator, Any, dict[str, str]]:
    emulator = XeroEmulator()
    org = emulator.organisation()
    token = uuid.uuid4().hex
    emulator.access_tokens[token] = Grant(
        client_id="local-client",
        tenant_ids=[org.tenant_id],
        scopes="accounting.invoices accounting.payments",
        expires_at=datetime(2100, 1, 1, tzinfo=UTC),
    )
    headers = {"Authorization": f"Bearer {token}", "xero-tenant-id": org.tenant_id}
    return emulator, emulator.app.test_client(), headers


def _invoice(xero: Any, status: str, amount: str = "100") -> dict[str, Any]:
    _emulator, client, headers = xero
    contact = client.put(
        f"{API}/Contacts", json={"Contacts": [{"Name": uuid.uuid4().hex}]}, headers=headers
    ).get_json()["Contacts"][0]
    body = {
        "Invoices": [
            {
                "Contact": {"ContactID": contact["ContactID"]},
                "Status": status,
                "LineItems": [{"Description": "Seat", "Quantity": 1, "UnitAmount": amount}],
            }
        ]
    }
    made: dict[str, Any] = client.put(f"{API}/Invoices", json=body, headers=headers).get_json()[
        "Invoices"
    ][0]
    return made


def _pay(xero: Any, invoice_id: str, amount: float, code: str = "090", **extra: Any) -> Any:
    _emulator, client, headers = xero
    payment = {
        "Invoice": {"InvoiceID": invoice_id},
        "Account": {"Code": code},
        "Date": "2026-11-20",
        "Amount": amount,
        "Reference": "SO1-P1",
    }
    return client.put(
        f"{API}/Payments",
        query_string={"summarizeErrors": "false"},
        json={"Payments": [payment]},
        headers={**headers, **extra},
    )


def test_a_part_payment_then_the_rest_keep_the_invoice_in_step(xero: Any) -> None:
    emulator, client, headers = xero
    invoice = _invoice(xero, "AUTHORISED")
    emulator.clock = lambda: datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    first = _pay(xero, invoice["InvoiceID"], 40).get_json()["Payments"][0]
    assert first["Status"] == "AUTHORISED" and first["Amount"] == 40.0
    stored = emulator.organisation().invoices[invoice["InvoiceID"]]
    assert (stored["AmountPaid"], stored["AmountDue"], stored["Status"]) == (
        40.0,
        60.0,
        "AUTHORISED",
    )
    assert stored["UpdatedDateUTC"] == f"/Date({int(emulator.clock().timestamp() * 1000)}+0000)/"
    _pay(xero, invoice["InvoiceID"], 60)
    assert (stored["AmountPaid"], stored["AmountDue"], stored["Status"]) == (100.0, 0.0, "PAID")
    assert [p["Amount"] for p in stored["Payments"]] == [40.0, 60.0]
    # Listed, found by id, by reference and by invoice.
    listed = client.get(f"{API}/Payments", headers=headers).get_json()["Payments"]
    assert len(listed) == 2
    one = client.get(f"{API}/Payments/{first['PaymentID']}", headers=headers).get_json()
    assert one["Payments"][0]["Invoice"]["InvoiceID"] == invoice["InvoiceID"]
    by_invoice = client.get(
        f"{API}/Payments",
        query_string={"where": f'Invoice.InvoiceID==Guid("{invoice["InvoiceID"]}")'},
        headers=headers,
    ).get_json()["Payments"]
    assert len(by_invoice) == 2
    by_reference = client.get(
        f"{API}/Payments", query_string={"where": 'Reference=="SO1-P1"'}, headers=headers
    ).get_json()["Payments"]
    assert len(by_reference) == 2


@pytest.mark.parametrize("status", ["DRAFT", "SUBMITTED"])
def test_only_an_authorised_invoice_takes_a_payment(xero: Any, status: str) -> None:
    invoice = _invoice(xero, status)
    (refused,) = _pay(xero, invoice["InvoiceID"], 10).get_json()["Payments"]
    assert refused["HasValidationErrors"] is True
    assert refused["ValidationErrors"] == [{"Message": NOT_AUTHORISED}]
    assert xero[0].organisation().payments == {}


def test_a_paid_or_voided_invoice_takes_no_payment(xero: Any) -> None:
    emulator = xero[0]
    paid = _invoice(xero, "AUTHORISED")
    _pay(xero, paid["InvoiceID"], 100)
    voided = _invoice(xero, "AUTHORISED")
    emulator.organisation().invoices[voided["InvoiceID"]]["Status"] = "VOIDED"
    for invoice in (paid, voided):
        (refused,) = _pay(xero, invoice["InvoiceID"], 1).get_json()["Payments"]
        assert refused["ValidationErrors"] == [{"Message": NOT_AUTHORISED}]


def test_no_payment_over_the_amount_due_and_none_from_a_non_bank_account(xero: Any) -> None:
    invoice = _invoice(xero, "AUTHORISED")
    (over,) = _pay(xero, invoice["InvoiceID"], 100.01).get_json()["Payments"]
    assert over["ValidationErrors"] == [{"Message": OVER_DUE}]
    (revenue,) = _pay(xero, invoice["InvoiceID"], 10, code="200").get_json()["Payments"]
    assert revenue["ValidationErrors"] == [{"Message": NOT_A_BANK}]
    (unknown,) = _pay(xero, invoice["InvoiceID"], 10, code="999").get_json()["Payments"]
    assert unknown["ValidationErrors"] == [{"Message": "Account could not be found"}]
    stored = xero[0].organisation().invoices[invoice["InvoiceID"]]
    assert (stored["AmountPaid"], stored["AmountDue"]) == (0.0, 100.0)


def test_summarized_errors_fail_the_request_and_a_key_replays(xero: Any) -> None:
    invoice = _invoice(xero, "DRAFT")
    answer = xero[1].put(
        f"{API}/Payments",
        json={"Payments": [{"Invoice": {"InvoiceID": invoice["InvoiceID"]}, "Amount": 1}]},
        headers=xero[2],
    )
    assert answer.status_code == 400 and answer.get_json()["Type"] == "ValidationException"
    good = _invoice(xero, "AUTHORISED")
    first = _pay(xero, good["InvoiceID"], 10, **{"Idempotency-Key": "k1"}).get_json()
    again = _pay(xero, good["InvoiceID"], 10, **{"Idempotency-Key": "k1"}).get_json()
    assert first["Payments"][0]["PaymentID"] == again["Payments"][0]["PaymentID"]
    assert xero[0].organisation().invoices[good["InvoiceID"]]["AmountPaid"] == 10.0


def test_the_chart_has_a_bank_account(xero: Any) -> None:
    accounts = xero[1].get(f"{API}/Accounts", headers=xero[2]).get_json()["Accounts"]
    assert "090" in [a["Code"] for a in accounts if a["Type"] == "BANK"]
