"""Xero's changes on the local stack: events through the events queue and the XeroEventsFunction
of template.yaml (its own config and role), redelivered and out of order; and its scheduled poll
finding what a dropped webhook missed. What a task shows comes from the store API."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from cbxero.domain.xero_events import EventCategory, XeroEvent
from local.stack import DEMO_RESELLER, LocalStack, sqs_event
from local.xero_emulator.replies import ms_time


def change(document: dict[str, Any], **fields: Any) -> datetime:
    time.sleep(0.01)  # a later UpdatedDateUTC than the one before (milliseconds)
    at = datetime.now(UTC)
    document.update(fields, UpdatedDateUTC=ms_time(at))
    return at


def event_for(tenant_id: str, invoice_id: str, at: datetime) -> XeroEvent:
    return XeroEvent(
        resource_url=f"https://api.xero.com/api.xro/2.0/Invoices/{invoice_id}",
        resource_id=invoice_id,
        event_date_utc=at,
        event_type="UPDATE",
        event_category=EventCategory.INVOICE,
        tenant_id=tenant_id,
        tenant_type="ORGANISATION",
    )


def xero_side(stack: LocalStack) -> list[dict[str, Any] | None]:
    tasks = stack.api("GET", "/tasks").json()["items"]
    return [t["xero_side"] for t in sorted(tasks, key=lambda t: t["order_number"])]


def xero_entries(stack: LocalStack) -> list[str]:
    items = stack.api("GET", "/action-log", params={"limit": 100}).json()["items"]
    return sorted(e["message"] for e in items if e["action"] == "xero_change")


def test_events_twice_and_out_of_order_then_a_poll_for_a_dropped_one(stack: LocalStack) -> None:
    settings = {
        "auto_sync": "every_5_minutes",
        "new_invoice_status": "AUTHORISED",
        "notifications": "all_tasks",
    }
    customer = stack.seed_demo_reseller(DEMO_RESELLER, settings)
    stack.marketplace.add_order(customer["id"], [("MS-TEAMS-ESS", 2, "4.00")])
    stack.marketplace.add_order(customer["id"], [("MS-TEAMS-ESS", 1, "4.00")])
    stack.fire_schedule("every_5_minutes")
    stack.drain_queue()
    org = stack.xero.organisation()
    first, second = sorted(org.invoices.values(), key=lambda i: i["Reference"])
    assert xero_side(stack) == [None, None]

    part = change(first, AmountPaid=3.0, AmountDue=5.0)
    paid = change(first, AmountPaid=8.0, AmountDue=0.0, Status="PAID")
    events = [event_for(org.tenant_id, first["InvoiceID"], at) for at in (paid, part)]
    stack.send_xero_events(events)  # out of order: the later change first
    received = stack.sqs.receive_message(
        QueueUrl=stack.events_queue_url,
        MaxNumberOfMessages=10,
        MessageSystemAttributeNames=["All"],
    )["Messages"]
    assert len(received) == 2
    # Lambda delivers at least once: the same messages twice, then once more each.
    for batch in (received + received, received[::-1]):
        answer = stack.invoker.invoke(
            "XeroEventsFunction", sqs_event(batch, stack.events_queue_url)
        )
        assert answer == {"batchItemFailures": []}
    sides = xero_side(stack)
    assert sides[0] is not None and sides[0]["state"] == "paid"
    assert sides[0]["amount_paid"] == "8.00" and sides[1] is None
    assert xero_entries(stack) == ["invoice INV-0001 paid in Xero (8.00)"]

    change(second, Status="VOIDED")  # its webhook was dropped: never delivered
    assert stack.drain_events() == 0
    summary = stack.poll_xero()
    assert summary["tasks_changed"] >= 1 and not summary["failed_tenants"]
    states = [s and s["state"] for s in xero_side(stack)]
    assert states == ["paid", "voided"]
    again = stack.poll_xero()  # the overlap reads them again: nothing twice
    assert again["tasks_changed"] == again["entries"] == 0
    messages = xero_entries(stack)
    assert len(messages) == 2 and "was voided in Xero" in messages[1]
    tasks = stack.api("GET", "/tasks").json()["items"]
    assert {t["status"] for t in tasks} == {"synced"}  # voided: drift, still synced
