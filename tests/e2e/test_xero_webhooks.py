"""Xero's webhooks on the local stack: the emulator signs and delivers to the receiver's route,
whose events land on the events queue once each, whatever Xero (or an attacker) sends."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
import time
import uuid
from collections import Counter
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cbxero.domain.xero_events import XeroEvent
from local.stack import LocalStack

ROUTE = "/xero/webhooks"


def queued(stack: LocalStack) -> list[Any]:
    """Every message on the events queue (taken off it), with its FIFO attributes."""
    found: list[Any] = []
    while batch := stack.sqs.receive_message(
        QueueUrl=stack.events_queue_url,
        MaxNumberOfMessages=10,
        MessageSystemAttributeNames=["All"],
        WaitTimeSeconds=0,
    ).get("Messages", []):
        for message in batch:
            found.append(message)
            stack.sqs.delete_message(
                QueueUrl=stack.events_queue_url, ReceiptHandle=message["ReceiptHandle"]
            )
    return found


def seed_changes(stack: LocalStack) -> dict[str, str]:
    """A contact, an invoice and a credit note made through the API; an invoice voided and
    a contact merged by hand. Returns their ids."""
    org = stack.xero.organisation()
    token, tenant = stack.xero_token()
    api = f"{stack.xero_server.url}/api.xro/2.0"
    headers = {"Authorization": f"Bearer {token}", "xero-tenant-id": tenant}

    def put(collection: str, document: dict[str, Any]) -> dict[str, Any]:
        answer = requests.put(
            f"{api}/{collection}", json={collection: [document]}, headers=headers, timeout=10
        )
        answer.raise_for_status()
        return dict(answer.json()[collection][0])

    first = put("Contacts", {"Name": "Hooked Co"})
    second = put("Contacts", {"Name": "Kept Co"})
    line = {"Description": "Seat", "Quantity": 1, "UnitAmount": 10, "AccountCode": "200"}
    contact = {"ContactID": first["ContactID"]}
    invoice = put("Invoices", {"Contact": contact, "LineItems": [line], "Status": "AUTHORISED"})
    note = put("CreditNotes", {"Contact": contact, "LineItems": [line], "Status": "DRAFT"})
    stack.xero.by_hand.void(invoice["InvoiceID"], org)
    time.sleep(0.01)  # another millisecond: an event's time is part of its key
    stack.xero.by_hand.merge_contact(first["ContactID"], second["ContactID"], org)
    return {
        "contact": first["ContactID"],
        "invoice": invoice["InvoiceID"],
        "note": note["CreditNoteID"],
    }


def test_intent_to_receive_passes_and_a_bad_signature_is_refused(stack: LocalStack) -> None:
    started = time.perf_counter()
    check = stack.xero.webhooks.intent_to_receive()  # the function's cold start included
    took = time.perf_counter() - started
    assert (check.signed_right, check.signed_wrong) == (200, 401)
    assert check.passed
    assert took < stack.xero.webhooks.timeout  # Xero's 5 seconds (the emulator times out too)
    print(f"\nintent to receive, cold: {took * 1000:.0f} ms for both posts")
    answered = requests.post(f"{stack.front_url}/_dev/webhooks/intent-to-receive", timeout=30)
    assert answered.json() == {"signed_right": 200, "signed_wrong": 401, "passed": True}
    # Xero asks for no body and no cookie in the answer.
    for post in stack.xero.webhooks.posts:
        assert post.status in (200, 401)
    body = stack.xero.webhooks.posts[0].body
    direct = requests.post(f"{stack.front_url}{ROUTE}", data=body, timeout=10)
    answer = (direct.status_code, direct.content, direct.headers.get("Set-Cookie"))
    assert answer == (401, b"", None)


def test_each_event_lands_on_the_queue_once_even_when_delivered_twice(stack: LocalStack) -> None:
    ids = seed_changes(stack)
    expected = list(stack.xero.webhooks.pending)
    assert len(expected) == 9  # 2 contacts, invoice, note; void; merge: 2 contacts, 2 documents
    stack.xero.webhooks.batch_size = 4
    stack.xero.webhooks.faults.extend(["duplicate", "reorder", "duplicate"])
    report = stack.deliver_webhooks()
    assert (report.batches, report.delivered, report.given_up, report.events) == (3, 5, 0, 14)
    again = stack.xero.webhooks.posts[0].body  # the first batch, once more, later
    signature = base64.b64encode(
        hmac.new(stack.webhook_key.encode(), again, hashlib.sha256).digest()
    ).decode()
    replay = requests.post(
        f"{stack.front_url}{ROUTE}", data=again, headers={"x-xero-signature": signature}, timeout=10
    )
    assert replay.status_code == 200
    messages = queued(stack)
    events = [XeroEvent.model_validate_json(m["Body"]) for m in messages]
    assert len(events) == len({e.key for e in events}) == 9  # once each: 14 + 4 delivered
    assert {e.key for e in events} == {XeroEvent.model_validate(p["event"]).key for p in expected}
    for message, event in zip(messages, events, strict=True):
        assert message["Attributes"]["MessageGroupId"] == event.tenant_id
        assert message["Attributes"]["MessageDeduplicationId"] == event.key
        assert set(json.loads(message["Body"])) >= {"resourceId", "eventDateUtc", "tenantId"}
    kinds = Counter((e.event_category.value, e.event_type.value) for e in events)
    assert kinds == {
        ("CONTACT", "CREATE"): 2,
        ("CONTACT", "UPDATE"): 2,
        ("INVOICE", "CREATE"): 1,
        ("INVOICE", "UPDATE"): 2,  # voided; moved to the kept contact
        ("CREDITNOTE", "CREATE"): 1,
        ("CREDITNOTE", "UPDATE"): 1,
    }
    assert ids["invoice"] in {e.resource_id for e in events}
    print(f"\nwebhooks: {report.posts} posts, {len(events)} events queued once each")


def test_a_bad_signature_is_retried_then_given_up_and_a_drop_is_never_sent(
    stack: LocalStack,
) -> None:
    seed_changes(stack)
    hooks = stack.xero.webhooks
    hooks.batch_size, hooks.max_attempts = 5, 3
    hooks.faults.extend(["bad_signature", "drop"])
    report = stack.deliver_webhooks()
    assert (report.batches, report.delivered, report.given_up, report.dropped) == (2, 0, 1, 1)
    assert report.posts == 3 and [p.status for p in hooks.posts] == [401, 401, 401]
    assert len(hooks.given_up) == 5 and len(hooks.dropped) == 4
    assert queued(stack) == []  # nothing of a body signed wrong was read


def _send(stack: LocalStack, body: bytes, headers: dict[str, str]) -> int:
    return requests.post(
        f"{stack.front_url}{ROUTE}", data=body, headers=headers, timeout=30
    ).status_code


def test_hostile_deliveries_never_get_a_5xx(
    stack: LocalStack, capfd: pytest.CaptureFixture[str]
) -> None:
    """No signature, wrong ones, empty, huge, not JSON, not UTF-8 (base64 through the gateway),
    odd content types: 401 when not signed right, 200 when signed right, never a 5xx."""
    key = stack.webhook_key.encode()
    statuses: Counter[int] = Counter()
    tried = Counter[str]()
    signatures: set[str] = set()

    def sign(body: bytes) -> str:
        return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()

    @settings(
        derandomize=True,
        max_examples=60,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        body=st.one_of(
            st.binary(max_size=300),
            st.text(max_size=300).map(str.encode),
            st.sampled_from(
                [
                    b"",
                    b"{}",
                    b"null",
                    b'{"events": null}',
                    b'{"events": [{}]}',
                    b'{"events": [], "firstEventSequence": -1}',
                    b"\xff\xfe{\x00}",
                    b"[" * 5000 + b"]" * 5000,
                    b'{"events": [' + b"1," * 200_000 + b"1]}",
                ]
            ),
        ),
        signing=st.sampled_from(["none", "right", "wrong", "empty", "junk", "twice"]),
        content_type=st.sampled_from(
            ["application/json", "text/plain", "application/octet-stream", "", "multipart/x"]
        ),
    )
    def deliver(body: bytes, signing: str, content_type: str) -> None:
        headers = {"Content-Type": content_type} if content_type else {}
        signature = {
            "none": None,
            "right": sign(body),
            "wrong": sign(body + b"!"),
            "empty": "",
            "junk": "\u00e9\u00e9 not base64",
            "twice": sign(body) + sign(body),
        }[signing]
        if signature is not None:
            headers["x-xero-signature"] = signature.encode("utf-8").decode("latin-1")
            signatures.add(signature)
        status = _send(stack, body, headers)
        tried[signing] += 1
        statuses[status] += 1
        assert status == (200 if signing == "right" else 401), (signing, body[:60], status)

    deliver()
    huge = b'{"events": [], "entropy": "' + b"x" * 5_000_000 + b'"}'
    assert _send(stack, huge, {"x-xero-signature": sign(huge)}) == 200
    assert _send(stack, huge, {}) == 401
    assert sum(n for s, n in statuses.items() if s >= 500) == 0
    assert queued(stack) == []  # none of it was a readable event
    out, err = capfd.readouterr()  # the functions' log lines: no signature in them
    logged = [s[:8] for s in signatures if len(s) >= 16 and s in out + err]
    sys.stdout.write(out)  # handed back, for the stack's own scan for secrets
    sys.stderr.write(err)
    assert logged == []
    print(f"\nhostile webhooks: {sum(tried.values())} tried {dict(tried)}, {dict(statuses)}")


def _event(body: bytes, headers: dict[str, str], *, encoded: bool) -> dict[str, Any]:
    text = base64.b64encode(body).decode() if encoded else body.decode()
    return {
        "version": "2.0",
        "routeKey": f"POST {ROUTE}",
        "rawPath": ROUTE,
        "headers": headers,
        "requestContext": {"http": {"method": "POST", "path": ROUTE}},
        "body": text,
        "isBase64Encoded": encoded,
    }


def test_the_gateways_base64_and_header_case_are_read_as_xero_sent_them(
    stack: LocalStack,
) -> None:
    seed_changes(stack)
    hooks = stack.xero.webhooks
    body = hooks.body(hooks.pending[:3])
    hooks.pending.clear()
    signature = base64.b64encode(
        hmac.new(stack.webhook_key.encode(), body, hashlib.sha256).digest()
    ).decode()

    def invoke(event: dict[str, Any]) -> Any:
        return stack.invoker.invoke("XeroWebhookFunction", event)

    encoded = invoke(_event(body, {"X-Xero-Signature": signature}, encoded=True))
    assert encoded == {"statusCode": 200, "headers": {"Cache-Control": "no-store"}, "body": ""}
    assert len(queued(stack)) == 3
    broken = _event(body, {"x-xero-signature": signature}, encoded=True)
    broken["body"] = broken["body"][:-3] + "!!!"
    assert invoke(broken)["statusCode"] == 401  # not the bytes Xero signed
    assert invoke({"headers": None, "body": None})["statusCode"] == 401
    assert invoke({"headers": "x", "body": 5, "isBase64Encoded": True})["statusCode"] == 401


def test_when_the_queue_or_the_key_cannot_be_reached_xero_is_told_to_try_again(
    stack: LocalStack,
) -> None:
    seed_changes(stack)
    stack.sqs.delete_queue(QueueUrl=stack.events_queue_url)
    hooks = stack.xero.webhooks
    hooks.batch_size, hooks.max_attempts = 20, 2
    report = stack.deliver_webhooks()
    assert (report.delivered, report.given_up) == (0, 1)
    assert [post.status for post in hooks.posts] == [503, 503]
    # The key's secret gone: a delivery cannot be checked, so it is neither taken nor refused.
    import boto3

    boto3.client("secretsmanager").delete_secret(
        SecretId=f"{stack.prefix}-xero-webhook", ForceDeleteWithoutRecovery=True
    )
    fresh = _event(b"{}", {"x-xero-signature": "x"}, encoded=False)
    stack.invoker._handlers.pop("XeroWebhookFunction")  # a new container: it reads the key
    assert stack.invoker.invoke("XeroWebhookFunction", fresh)["statusCode"] == 503


def test_whatever_the_faults_each_event_sent_is_queued_once_and_the_rest_are_reported_lost(
    stack: LocalStack,
) -> None:
    """Nothing twice, nothing lost unseen: for any batch size and faults, the queue holds each
    event of the batches delivered exactly once, and the emulator reports the others (dropped,
    or given up after a bad signature), for the polling fallback to find."""
    org = stack.xero.organisation()
    hooks = stack.xero.webhooks
    hooks.max_attempts = 2
    seen = Counter[str]()

    @settings(
        derandomize=True,
        max_examples=15,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        count=st.integers(1, 12),
        batch_size=st.integers(1, 5),
        faults=st.lists(
            st.sampled_from(["duplicate", "reorder", "drop", "bad_signature", "pass"]), max_size=6
        ),
    )
    def deliver(count: int, batch_size: int, faults: list[str]) -> None:
        hooks.given_up.clear()
        hooks.dropped.clear()
        for _ in range(count):
            contact = {"ContactID": str(uuid.uuid4())}
            hooks.changed(org, "Contacts", contact, created=True)
        sent = [XeroEvent.model_validate(p["event"]).key for p in hooks.pending]
        hooks.batch_size = batch_size
        hooks.faults.clear()
        hooks.faults.extend(faults)
        report = stack.deliver_webhooks()
        lost = {XeroEvent.model_validate(e).key for e in hooks.given_up + hooks.dropped}
        got = [XeroEvent.model_validate_json(m["Body"]).key for m in queued(stack)]
        assert sorted(got) == sorted(set(sent) - lost)  # once each
        assert bool(lost) == bool(report.given_up + report.dropped)  # and the rest reported
        seen.update(faults)

    deliver()
    print(f"\nfaults tried: {dict(seen)}")
