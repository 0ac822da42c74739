"""The books stay true, end to end on the local stack: what a Xero user does to our invoices (a
payment in part, the rest, a void, a delete) travels as Xero's signed webhook through the
receiver, the events queue and the events function to the task, one event each."""

from __future__ import annotations

from typing import Any

import requests

from local.stack import DEMO_RESELLER, LocalStack


def pay(stack: LocalStack, invoice_id: str, amount: float) -> None:
    """A payment entered in Xero (as a bank feed or a user would), through Xero's API."""
    token, tenant = stack.xero_token()
    answer = requests.put(
        f"{stack.xero_server.url}/api.xro/2.0/Payments",
        json={
            "Payments": [
                {
                    "Invoice": {"InvoiceID": invoice_id},
                    "Account": {"Code": "090"},
                    "Amount": amount,
                    "Date": "2026-11-27",
                }
            ]
        },
        headers={"Authorization": f"Bearer {token}", "xero-tenant-id": tenant},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


def states(stack: LocalStack) -> dict[str, tuple[str, str] | None]:
    tasks = stack.api("GET", "/tasks").json()["items"]
    return {
        t["order_number"]: t["xero_side"]
        and (t["xero_side"]["state"], t["xero_side"]["amount_paid"])
        for t in tasks
    }


def one_event_through(stack: LocalStack) -> int:
    report = stack.deliver_webhooks()
    assert report.delivered == report.batches and not report.given_up, report
    return stack.drain_events()


def test_pay_part_pay_void_and_delete_each_show_on_their_task_after_one_event(
    stack: LocalStack,
) -> None:
    customer = stack.seed_demo_reseller(
        DEMO_RESELLER, {"new_invoice_status": "AUTHORISED", "auto_sync": "every_5_minutes"}
    )
    orders = [
        stack.marketplace.add_order(customer["id"], [("MS-TEAMS-ESS", n, "4.00")])
        for n in (1, 2, 3)
    ]
    stack.fire_schedule("every_5_minutes")
    stack.drain_queue()
    stack.deliver_webhooks()  # the invoices' own CREATE events
    stack.drain_events()
    org = stack.xero.organisation()
    invoice: dict[str, Any] = {
        o["orderNumber"]: next(
            i for i in org.invoices.values() if i["Reference"] == o["orderNumber"]
        )
        for o in orders
    }
    one, two, three = (o["orderNumber"] for o in orders)
    assert states(stack) == {n: ("awaiting_payment", "0.00") for n in (one, two, three)}

    pay(stack, invoice[two]["InvoiceID"], 3.0)
    assert one_event_through(stack) == 1
    assert states(stack)[two] == ("part_paid", "3.00")

    pay(stack, invoice[two]["InvoiceID"], 5.0)
    assert one_event_through(stack) == 1
    assert states(stack)[two] == ("paid", "8.00")

    stack.xero.by_hand.void(invoice[three]["InvoiceID"])
    assert one_event_through(stack) == 1
    assert states(stack)[three] == ("voided", "0.00")

    invoice[one]["Status"] = "DRAFT"  # a draft may be deleted in Xero, an authorised one not
    stack.xero.by_hand.delete(invoice[one]["InvoiceID"])
    assert one_event_through(stack) == 1
    assert states(stack)[one] == ("deleted", "0.00")

    tasks = stack.api("GET", "/tasks").json()["items"]
    assert {t["status"] for t in tasks} == {"synced"}  # voided, deleted: drift, not re-made
    stack.fire_schedule("every_5_minutes")
    stack.drain_queue()
    live = [i for i in org.invoices.values() if i["Status"] not in ("VOIDED", "DELETED")]
    assert len(live) == 1  # nothing was made again without the reseller's word
