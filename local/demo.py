"""`make demo`: a marketplace order becomes a Xero invoice, on this machine, end to end.

Starts the local stack, connects a reseller to the emulated Xero (OAuth with automatic consent,
finished by the same user with the page's verifier),
saves settings, maps products, places a sales order in the emulated marketplace, fires the
five-minute schedule, lets the worker sync and prints the invoice; then a downgrade is synced by
hand and becomes a credit note allocated to that invoice. Then the customer pays part of it in
Xero, whose webhook brings that back onto the task, and the dashboard and the drift report show
the books in step. Prints the Action Log and checks that the invoice matches the order, the
credit note the refund, the task the payment, and that the report finds no drift. Exits 1 if not.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import requests

from local.simpleapi_emulator import fee
from local.stack import DEMO_RESELLER, LocalStack

SETTINGS = {
    "auto_sync": "every_5_minutes",
    "invoice_number_source": "marketplace",
    "notifications": "all_tasks",
    "new_invoice_status": "AUTHORISED",
}
ORDER_LINES = [("MS-O365-E3-M", 12, "36.00"), ("MS-TEAMS-ESS", 5, "4.00")]
DOWNGRADE = ("MS-O365-E3-M", -2, "36.00")  # two seats fewer, refunded
PAID_IN_XERO = Decimal("100.00")  # what the customer pays in Xero, by hand


def money(amount: float | str) -> str:
    """An amount as money: two decimals (four for a unit price that has them: lines go to Xero
    with unitdp=4), thousands separated. Xero's JSON numbers arrive as floats (432.0)."""
    value = Decimal(str(amount))
    places = "0.01" if value == value.quantize(Decimal("0.01")) else "0.0001"
    return f"{value.quantize(Decimal(places)):,}"


def quantity(value: float | int | str) -> str:
    """A quantity without a float's trailing `.0` (12, not 12.0)."""
    number = Decimal(str(value))
    return f"{number.to_integral_value() if number == number.to_integral_value() else number}"


def step(text: str) -> None:
    print(f"\n== {text}")


def invoice_matches(invoice: dict[str, Any], order: dict[str, Any]) -> list[str]:
    """What differs between the Xero invoice and the marketplace order; empty when they agree."""
    problems = []
    wanted = [
        (d["mpn"], Decimal(str(d["quantity"])), Decimal(d["unitPrice"]["amount"]))
        for d in order["details"]
    ]
    got = [
        (line["ItemCode"], Decimal(str(line["Quantity"])), Decimal(str(line["UnitAmount"])))
        for line in invoice["LineItems"]
    ]
    if sorted(wanted) != sorted(got):
        problems.append(f"lines differ: order {wanted}, invoice {got}")
    if Decimal(str(invoice["SubTotal"])) != Decimal(order["total"]["amount"]):
        problems.append(
            f"total differs: order {order['total']['amount']}, invoice {invoice['SubTotal']}"
        )
    if invoice["Reference"] != order["orderNumber"]:
        problems.append("the invoice's Reference is not the order number")
    return problems


def main(
    dynamodb_endpoint: str | None = None, hold: Callable[[LocalStack], None] | None = None
) -> int:
    """Runs the demo; `hold` is called with the stack still up once it ended OK (by default,
    in a terminal, the stack stays up until Enter so that the app's URL can be opened)."""
    step("Starting the local stack (DynamoDB Local, SQS, Xero and SimpleAPI emulators, API)")
    with LocalStack(quiet=True, dynamodb_endpoint=dynamodb_endpoint) as stack:
        print(
            f"API on {stack.front_url}, Xero emulator on {stack.xero_server.url}, "
            f"SimpleAPI emulator on {stack.market_server.url}"
        )
        step(f"Connecting reseller {DEMO_RESELLER} to Xero, saving settings, mapping products")
        customer = stack.seed_demo_reseller(DEMO_RESELLER, SETTINGS)
        connection = stack.api("GET", "/xero/connection").json()
        print(f"Xero: {connection['status']} to {connection['organisation_name']}")
        print(f"Settings: {json.dumps(stack.api('GET', '/settings').json())}")

        step(f"A sales order for {customer['name']} in the marketplace")
        order = stack.marketplace.add_order(customer["id"], ORDER_LINES)
        for detail in order["details"]:
            print(
                f"  {detail['mpn']:<14} {quantity(detail['quantity']):>5}"
                f" x {money(detail['unitPrice']['amount']):>8}"
            )
        print(
            f"  order {order['orderNumber']}, "
            f"total {money(order['total']['amount'])} {order['total']['currency']}"
        )

        step("The five-minute schedule fires; the worker syncs")
        print(f"dispatcher: {stack.fire_schedule('every_5_minutes')}")
        print(f"worker: {stack.drain_queue()} job(s) done")

        step("The Xero invoice")
        invoices = list(stack.xero.organisation().invoices.values())
        if len(invoices) != 1:
            print(f"FAILED: expected one invoice in Xero, found {len(invoices)}")
            return 1
        invoice = invoices[0]
        print(
            f"  {invoice['InvoiceNumber']} ({invoice['Status']}) for {invoice['Contact']['Name']}, "
            f"reference {invoice['Reference']}, due {invoice['DueDateString'][:10]}"
        )
        for line in invoice["LineItems"]:
            print(
                f"  {line['ItemCode']:<14} {quantity(line['Quantity']):>5}"
                f" x {money(line['UnitAmount']):>8} = {money(line['LineAmount']):>9}"
                f"  {line['Description']}"
            )
        print(f"  total {money(invoice['Total'])} {invoice['CurrencyCode']}")

        step("A downgrade: two seats fewer, refunded; synced by hand from the store")
        refund = fee(*DOWNGRADE, type="recurringRefund")
        change = stack.marketplace.add_order(customer["id"], [refund], order_type="change")
        print(f"  order {change['orderNumber']} (change), total {money(change['total']['amount'])}")
        stack.api("POST", f"/customers/{customer['id']}/sync").raise_for_status()
        print(f"worker: {stack.drain_queue()} job(s) done")
        notes = list(stack.xero.organisation().credit_notes.values())
        for note in notes:
            print(
                f"  credit note {note['CreditNoteNumber']} ({note['Status']}), reference "
                f"{note['Reference']}, total {money(note['Total'])}, left to allocate "
                f"{money(note['RemainingCredit'])}"
            )
        print(
            f"  invoice {invoice['InvoiceNumber']}: credited {money(invoice['AmountCredited'])}, "
            f"due {money(invoice['AmountDue'])}"
        )

        step(f"In Xero, the customer pays {PAID_IN_XERO}; Xero's webhook tells the product")
        due_after_credit = Decimal(str(invoice["AmountDue"]))  # `invoice` is Xero's live record
        pay_in_xero(stack, invoice, PAID_IN_XERO)
        delivered = stack.deliver_webhooks()
        print(f"webhooks: {delivered.events} event(s) signed and delivered to /xero/webhooks")
        print(f"events function: {stack.drain_events()} event(s) recorded")
        task = stack.api("GET", f"/tasks/{order['id']}").json()["task"]
        side = task["xero_side"] or {}
        print(
            f"  task {task['order_number']}: {task['status']}, in Xero {side.get('state')}, "
            f"paid {side.get('amount_paid')}, due {side.get('amount_due')}"
        )

        step("The dashboard and the drift report")
        board = stack.api("GET", "/dashboard").json()
        statuses = {k: v for k, v in board["tasks_by_status"].items() if v}
        budget = board["budget_today"]
        print(f"  tasks {statuses}; Xero calls left today {budget['left']} of {budget['limit']}")
        now = datetime.now(UTC).replace(microsecond=0)
        period = {"from": f"{(now - timedelta(days=1)):%Y-%m-%dT%H:%M:%SZ}"}
        period["to"] = f"{(now + timedelta(minutes=1)):%Y-%m-%dT%H:%M:%SZ}"
        drift = stack.api("GET", "/reconcile", params=period).json()
        print(
            f"  GET /reconcile: {drift['orders']} orders, {drift['tasks']} tasks, "
            f"{drift['documents']} documents, {len(drift['differences'])} difference(s)"
        )

        step("The Action Log")
        for entry in reversed(stack.api("GET", "/action-log").json()["items"]):
            print(
                f"  {entry['at'][:19]}  {entry['status']:<15} {entry['actor']:<24}"
                f" {entry['message']}"
            )

        problems = invoice_matches(invoice, order)
        refunded = -Decimal(change["total"]["amount"])
        if [Decimal(str(n["Total"])) for n in notes] != [refunded]:
            problems.append(f"expected one credit note of {refunded}, found {len(notes)}")
        elif due_after_credit != Decimal(order["total"]["amount"]) - refunded:
            problems.append("the credit note was not allocated to the invoice")
        if (side.get("state"), side.get("amount_paid")) != ("part_paid", f"{PAID_IN_XERO}"):
            problems.append(f"the task does not show the payment made in Xero: {side}")
        if drift["differences"]:
            problems.append(f"the drift report found differences: {drift['counts']}")
        step("Check")
        if problems:
            print("FAILED: " + "; ".join(problems))
            return 1
        print(
            "OK: the Xero invoice's lines and total equal the marketplace order's, the "
            "downgrade's refund is a credit note allocated to it, the payment made in Xero "
            "shows on the task, and the drift report finds the books in step"
        )
        step("The integration's screens, as the store shows them")
        print(f"open {stack.store_url}")
        print(f"  (the store page frames the app, {stack.app_url}, and hands it a session)")
        (hold or _hold_in_a_terminal)(stack)
    return 0


def _hold_in_a_terminal(stack: LocalStack) -> None:
    """Keeps the stack up for the screens until Enter, when someone is there to press it."""
    if sys.stdin.isatty():
        input("Press Enter to stop the local stack. ")


def pay_in_xero(stack: LocalStack, invoice: dict[str, Any], amount: Decimal) -> None:
    """A payment entered in Xero (its API, as Xero's screens would), into the bank account."""
    token, tenant = stack.xero_token()
    answer = requests.put(
        f"{stack.xero_server.url}/api.xro/2.0/Payments",
        headers={"Authorization": f"Bearer {token}", "xero-tenant-id": tenant},
        json={
            "Payments": [
                {
                    "Invoice": {"InvoiceID": invoice["InvoiceID"]},
                    "Account": {"Code": "090"},
                    "Amount": float(amount),
                    "Date": f"{datetime.now(UTC):%Y-%m-%d}",
                }
            ]
        },
        timeout=30,
    )
    answer.raise_for_status()


if __name__ == "__main__":
    sys.exit(main())
