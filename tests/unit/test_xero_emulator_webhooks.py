"""The Xero emulator's webhooks (events, batches, signatures, retries, faults) and a user's
actions by hand, without a server: the receiver is a stub that answers as told."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest

from local.xero_emulator import RefusedByXero, XeroEmulator
from local.xero_emulator.webhooks import Webhooks

KEY = "emulator-webhook-key"


class Receiver:
    """Answers each POST with the next status of `answers` (then 200), checking signatures."""

    def __init__(self, *answers: int) -> None:
        self.answers = list(answers)
        self.bodies: list[dict[str, Any]] = []
        self.signed_right: list[bool] = []

    def __call__(self, hooks: Webhooks) -> Any:
        def post(body: bytes, *, signed_right: bool) -> int:
            key = KEY if signed_right else KEY + "-not-the-key"
            expected = base64.b64encode(hmac.new(KEY.encode(), body, hashlib.sha256).digest())
            got = base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest())
            self.signed_right.append(got == expected)
            self.bodies.append(json.loads(body))
            return self.answers.pop(0) if self.answers else 200

        return post


@pytest.fixture
def emulator() -> XeroEmulator:
    xero = XeroEmulator()
    xero.webhooks.configure("http://receiver.invalid/xero/webhooks", KEY)
    org = xero.organisation()
    for n in range(3):
        contact_id = f"00000000-0000-4000-8000-00000000000{n}"
        org.contacts[contact_id] = {"ContactID": contact_id, "Name": f"C{n}"}
    return xero


def invoice(xero: XeroEmulator, status: str, contact: str, n: int = 0) -> str:
    org = xero.organisation()
    invoice_id = f"10000000-0000-4000-8000-00000000000{n}"
    org.invoices[invoice_id] = {
        "InvoiceID": invoice_id,
        "Status": status,
        "Contact": org.contacts[contact],
        "AmountPaid": 0.0,
        "AmountCredited": 0.0,
    }
    return invoice_id


C0, C1 = "00000000-0000-4000-8000-000000000000", "00000000-0000-4000-8000-000000000001"


def test_nothing_is_queued_before_a_url_and_key_are_configured() -> None:
    xero = XeroEmulator()
    org = xero.organisation()
    org.contacts["c"] = {"ContactID": "c", "Name": "C"}
    xero.by_hand.archive_contact("c")
    assert xero.webhooks.pending == []


def test_hand_actions_stamp_and_queue_the_events_xero_sends(emulator: XeroEmulator) -> None:
    org = emulator.organisation()
    authorised = invoice(emulator, "AUTHORISED", C0, 1)
    draft = invoice(emulator, "DRAFT", C0, 2)
    emulator.by_hand.void(authorised)
    emulator.by_hand.delete(draft)
    emulator.by_hand.merge_contact(C0, C1)
    assert org.invoices[authorised]["Status"] == "VOIDED"
    assert org.invoices[draft]["Status"] == "DELETED"
    merged = org.contacts[C0]
    assert (merged["ContactStatus"], merged["MergedToContactID"]) == ("ARCHIVED", C1)
    assert {i["Contact"]["ContactID"] for i in org.invoices.values()} == {C1}  # moved, as Xero
    assert all("UpdatedDateUTC" in i for i in org.invoices.values())
    events = [p["event"] for p in emulator.webhooks.pending]
    assert [(e["eventCategory"], e["resourceId"]) for e in events] == [
        ("INVOICE", authorised),
        ("INVOICE", draft),
        ("CONTACT", C0),
        ("CONTACT", C1),
        ("INVOICE", authorised),
        ("INVOICE", draft),
    ]
    assert {e["eventType"] for e in events} == {"UPDATE"}
    assert [p["sequence"] for p in emulator.webhooks.pending] == [1, 2, 3, 4, 5, 6]


def test_xeros_rules_for_hand_actions(emulator: XeroEmulator) -> None:
    draft = invoice(emulator, "DRAFT", C0, 1)
    paid = invoice(emulator, "AUTHORISED", C0, 2)
    emulator.organisation().invoices[paid]["AmountPaid"] = 5.0
    with pytest.raises(RefusedByXero):
        emulator.by_hand.void(draft)  # a draft is deleted, not voided
    with pytest.raises(RefusedByXero):
        emulator.by_hand.void(paid)  # payments first
    with pytest.raises(RefusedByXero):
        emulator.by_hand.delete(paid)
    with pytest.raises(RefusedByXero):
        emulator.by_hand.merge_contact(C0, C0)
    assert emulator.webhooks.pending == []


def test_items_archived_or_deleted_by_hand_emit_no_event(emulator: XeroEmulator) -> None:
    org = emulator.organisation()
    org.items["i1"] = {"ItemID": "i1", "Code": "SEAT", "IsSold": True}
    org.items["i2"] = {"ItemID": "i2", "Code": "GONE", "IsSold": True}
    assert emulator.by_hand.archive_item("SEAT")["IsSold"] is False
    assert org.archived_items == {"i1"} and "UpdatedDateUTC" in org.items["i1"]
    emulator.by_hand.delete_item("i2")
    assert list(org.items) == ["i1"]
    assert emulator.webhooks.pending == []  # Xero has no webhooks for items


def test_batches_are_signed_sequenced_and_retried_a_bounded_number_of_times(
    emulator: XeroEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(5):
        emulator.webhooks.changed(
            emulator.organisation(),
            "CreditNotes",
            {"CreditNoteID": f"n{n}", "Type": "ACCRECCREDIT", "Status": "DRAFT"},
            created=True,
        )
    receiver = Receiver(500, 401, 200, 503, 503, 503)
    hooks = emulator.webhooks
    monkeypatch.setattr(hooks, "post", receiver(hooks))
    hooks.batch_size, hooks.max_attempts = 3, 3
    report = emulator.deliver_webhooks()
    # The first batch: 500, 401, then 200; the second: 503 three times, given up.
    assert (report.batches, report.delivered, report.given_up, report.posts) == (2, 1, 1, 6)
    assert [b["firstEventSequence"] for b in receiver.bodies] == [1, 1, 1, 4, 4, 4]
    assert [b["lastEventSequence"] for b in receiver.bodies] == [3, 3, 3, 5, 5, 5]
    assert all(receiver.signed_right)
    assert receiver.bodies[0]["events"][0]["data"] == {"Type": "ACCRECCREDIT", "Status": "DRAFT"}
    assert [e["resourceId"] for e in hooks.given_up] == ["n3", "n4"]
    assert hooks.pending == []


def test_faults_bad_signature_drop_duplicate_reorder(
    emulator: XeroEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = emulator.organisation()
    for n in range(8):
        emulator.webhooks.changed(org, "Contacts", {"ContactID": f"c{n}"}, created=False)
    receiver = Receiver(*[401] * 2)  # the badly signed batch's two tries
    hooks = emulator.webhooks
    monkeypatch.setattr(hooks, "post", receiver(hooks))
    hooks.batch_size, hooks.max_attempts = 2, 2
    hooks.faults.extend(["reorder", "bad_signature", "drop", "duplicate"])
    report = emulator.deliver_webhooks()
    assert (report.batches, report.delivered, report.given_up, report.dropped) == (4, 3, 1, 1)
    sent = [[e["resourceId"] for e in b["events"]] for b in receiver.bodies]
    assert sent == [["c2", "c3"], ["c2", "c3"], ["c6", "c7"], ["c6", "c7"], ["c1", "c0"]]
    assert receiver.signed_right == [False, False, True, True, True]
    assert [e["resourceId"] for e in hooks.dropped] == ["c4", "c5"]


def test_intent_to_receive_sends_one_body_signed_right_and_one_wrong(
    emulator: XeroEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver = Receiver(200, 200)  # a receiver that takes anything fails the check
    hooks = emulator.webhooks
    monkeypatch.setattr(hooks, "post", receiver(hooks))
    check = hooks.intent_to_receive()
    assert receiver.signed_right == [True, False]
    assert receiver.bodies[0]["events"] == [] and receiver.bodies[0]["firstEventSequence"] == 0
    assert (check.signed_right, check.signed_wrong, check.passed) == (200, 200, False)


def test_an_unknown_fault_is_refused_before_anything_is_sent(emulator: XeroEmulator) -> None:
    emulator.webhooks.changed(emulator.organisation(), "Contacts", {"ContactID": "c"}, created=True)
    emulator.webhooks.faults.append("dupe")
    with pytest.raises(ValueError, match="dupe"):
        emulator.deliver_webhooks()
    assert len(emulator.webhooks.pending) == 1
