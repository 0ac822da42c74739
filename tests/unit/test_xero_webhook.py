"""The webhook receiver: Xero's signature, its intent-to-receive check, events onto the queue."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cbxero.domain.xero_events import XeroEvent
from cbxero.ports import XeroEventQueue
from cbxero.services.xero_webhook import WebhookReceiver, signature_of

KEY = b"the-webhook-key-xero-shows"
TENANT = "aef86862-2015-4b6b-88bc-d89032cecc50"
CHECK = b'{"events":[],"lastEventSequence":0,"firstEventSequence":0,"entropy":"S0m3r4Nd0mt3xt"}'


def event(n: int, category: str = "INVOICE", tenant: str = TENANT) -> dict[str, Any]:
    resource = f"00000000-0000-4000-8000-{n:012d}"
    return {
        "resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{resource}",
        "resourceId": resource,
        "eventDateUtc": "2026-11-27T10:00:00.123",
        "eventType": "UPDATE",
        "eventCategory": category,
        "tenantId": tenant,
        "tenantType": "ORGANISATION",
    }


def delivery(*events: dict[str, Any]) -> bytes:
    body = {"events": list(events), "firstEventSequence": 1, "lastEventSequence": len(events)}
    return json.dumps({**body, "entropy": "ABCDEFGHIJ"}).encode()


def xero_signs(body: bytes, key: bytes = KEY) -> str:
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()


class RecordingQueue(XeroEventQueue):
    def __init__(self, fail: bool = False) -> None:
        self.events: list[XeroEvent] = []
        self.fail = fail

    def send(self, events: Sequence[XeroEvent]) -> int:
        if self.fail:
            raise RuntimeError("SQS refused 1 event(s): InternalError")
        self.events.extend(events)
        return len(events)


def receiver(queue: XeroEventQueue | None = None) -> tuple[WebhookReceiver, list[int]]:
    reads: list[int] = []

    def key() -> bytes:
        reads.append(1)
        return KEY

    target = queue or RecordingQueue()
    return WebhookReceiver(key=key, queue=lambda: target), reads


def test_the_signature_is_xeros_base64_hmac_sha256_of_the_raw_body() -> None:
    assert signature_of(KEY, CHECK) == xero_signs(CHECK)
    assert signature_of(KEY, CHECK + b" ") != xero_signs(CHECK)


def test_intent_to_receive_signed_right_is_200_and_signed_wrong_is_401() -> None:
    hooks, _ = receiver()
    assert hooks.receive(CHECK, xero_signs(CHECK)).status == 200
    assert hooks.receive(CHECK, xero_signs(CHECK, b"another key")).status == 401
    assert hooks.receive(CHECK, None).status == 401
    assert hooks.receive(CHECK, "").status == 401
    assert hooks.receive(CHECK, "not base64 at all \u00e9").status == 401


def test_each_event_of_a_delivery_is_queued_once_by_its_key() -> None:
    queue = RecordingQueue()
    hooks, _ = receiver(queue)
    body = delivery(event(1), event(2, "CONTACT"), event(3, "CREDITNOTE"))
    receipt = hooks.receive(body, xero_signs(body))
    assert (receipt.status, receipt.events, receipt.queued) == (200, 3, 3)
    assert [e.resource_id[-1] for e in queue.events] == ["1", "2", "3"]
    assert len({e.key for e in queue.events}) == 3


def test_a_body_signed_wrong_is_never_read() -> None:
    queue = RecordingQueue()
    hooks, _ = receiver(queue)
    body = delivery(event(1))
    assert hooks.receive(body, xero_signs(body + b" ")).status == 401
    assert queue.events == []


@pytest.mark.parametrize(
    ("body", "unreadable"),
    [
        (b"", 1),
        (b"not json", 1),
        (b"[1, 2]", 1),
        (b'{"events": "none"}', 1),
        (b"\xff\xfe\x00garbage", 1),
        (delivery(event(1), {"resourceId": "x"}), 1),
        (b"[" * 100_000 + b"]" * 100_000, 1),  # nested past Python's recursion limit
        (b'{"events": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}", 1),
    ],
)
def test_a_body_signed_right_but_not_a_delivery_is_200_and_logged(
    body: bytes, unreadable: int
) -> None:
    # Only Xero holds the key: a retry would bring the same bytes back for a day.
    queue = RecordingQueue()
    hooks, _ = receiver(queue)
    receipt = hooks.receive(body, xero_signs(body))
    assert (receipt.status, receipt.unreadable) == (200, unreadable)
    assert receipt.problem
    assert len(queue.events) == (1 if b"resourceUrl" in body else 0)  # what could be read, kept


def test_when_the_queue_refuses_xero_is_told_to_deliver_again() -> None:
    hooks, _ = receiver(RecordingQueue(fail=True))
    body = delivery(event(1))
    receipt = hooks.receive(body, xero_signs(body))
    assert receipt.status == 503
    assert "RuntimeError" in receipt.problem and "InternalError" not in receipt.problem


def test_the_key_is_read_when_a_delivery_comes_not_before() -> None:
    hooks, reads = receiver()
    assert reads == []
    hooks.receive(CHECK, None)
    assert reads == []  # no signature: nothing to check
    hooks.receive(CHECK, "x")
    assert reads == [1]


@settings(derandomize=True, max_examples=200, database=None)
@given(body=st.binary(max_size=2000), other=st.binary(min_size=1, max_size=64))
def test_any_body_is_200_signed_with_the_key_and_401_signed_with_another(
    body: bytes, other: bytes
) -> None:
    hooks, _ = receiver()
    assert hooks.receive(body, xero_signs(body)).status == 200
    if other != KEY:
        assert hooks.receive(body, xero_signs(body, other)).status == 401


def test_events_go_to_sqs_in_tens_grouped_by_organisation_deduplicated_by_key() -> None:
    import boto3
    from moto import mock_aws

    from cbxero.adapters.sqs import SqsXeroEventQueue
    from cbxero.domain.xero_events import WebhookDelivery

    other = "c2cc9b6e-9458-4c7d-93cc-f02b81b0594f"
    body = delivery(*(event(n, tenant=TENANT if n % 2 else other) for n in range(25)))
    events = WebhookDelivery.model_validate_json(body).events
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="events.fifo", Attributes={"FifoQueue": "true"})[
            "QueueUrl"
        ]
        queue = SqsXeroEventQueue(sqs, url)
        assert queue.send(events) == 25
        assert queue.send(events[:10]) == 10  # taken, and dropped by SQS as duplicates
        got: list[Any] = []
        while batch := sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
        ).get("Messages", []):
            got += batch
            for message in batch:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert len(got) == 25
    bodies = [json.loads(m["Body"]) for m in got]
    assert {tuple(sorted(b)) for b in bodies} == {tuple(sorted(event(0)))}  # camelCase, by alias
    for message, sent in zip(got, [XeroEvent.model_validate(b) for b in bodies], strict=True):
        assert message["Attributes"]["MessageGroupId"] == sent.tenant_id
        assert message["Attributes"]["MessageDeduplicationId"] == sent.key


@pytest.mark.parametrize("tenant", ["a tenant", "t\u00e9nant", "../../tokens", "x" * 65])
def test_an_event_whose_ids_are_not_xeros_is_not_queued_and_the_others_are(tenant: str) -> None:
    # Found by the attack of 2026-11-27: SQS refuses a message group id outside ASCII letters,
    # digits and punctuation, so one such event made the whole delivery 503 (Xero delivers it
    # again for a day, then disables the webhook); the events function ignores it anyway.
    queue = RecordingQueue()
    hooks, _ = receiver(queue)
    body = delivery(event(1), event(2, tenant=tenant))
    receipt = hooks.receive(body, xero_signs(body))
    assert (receipt.status, receipt.queued, receipt.unreadable) == (200, 1, 1)
    assert [e.tenant_id for e in queue.events] == [TENANT]
