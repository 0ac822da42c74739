"""`make demo`: a marketplace order becomes a Xero invoice, on this machine, end to end.

Starts the local stack, connects a reseller to the emulated Xero (OAuth with automatic consent,
finished by the same user with the page's verifier),
saves settings, maps products, places a sales order in the emulated marketplace, fires the
five-minute schedule, lets the worker sync and prints the invoice; then a downgrade is synced by
hand and becomes a credit note allocated to that invoice. Prints the Action Log and checks that
the invoice matches the order and the credit note the refund. Exits 1 if they do not.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from typing import Any

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


def main() -> int:
    step("Starting the local stack (DynamoDB Local, SQS, Xero and SimpleAPI emulators, API)")
    with LocalStack(quiet=True) as stack:
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
        elif Decimal(str(invoice["AmountDue"])) != Decimal(order["total"]["amount"]) - refunded:
            problems.append("the credit note was not allocated to the invoice")
        step("Check")
        if problems:
            print("FAILED: " + "; ".join(problems))
            return 1
        print(
            "OK: the Xero invoice's lines and total equal the marketplace order's, and the "
            "downgrade's refund is a credit note allocated to it"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
