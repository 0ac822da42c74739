"""Reconcile in the browser: drift arranged on the stack (an invoice voided by hand in Xero, an
order never picked up), the report run for a period, the differences shown by kind, repaired
from the screen, and the effect checked in the API and the Xero emulator."""

from __future__ import annotations

import uuid
from typing import Any

from local.stack import LocalStack
from tests.browser.conftest import Store, open_store

PHONE = 390


def synced(stack: LocalStack, orders: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    customer = stack.seed_demo_reseller(
        settings={"auto_sync": "daily", "new_invoice_status": "AUTHORISED"}
    )
    placed = [
        stack.marketplace.add_order(customer["id"], [("MS-TEAMS-ESS", n + 1, "4.00")])
        for n in range(orders)
    ]
    stack.api("POST", "/tasks/check-changes", json={"customer_id": customer["id"]})
    stack.drain_queue()
    answer = stack.api("POST", "/tasks/sync", json={"task_ids": [o["id"] for o in placed]})
    assert answer.status_code == 200, answer.text
    stack.drain_queue()
    return customer, placed


def invoices_of(stack: LocalStack, order: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        i
        for i in stack.xero.organisation().invoices.values()
        if i["Reference"] == order["orderNumber"]
    ]


def test_the_drift_report_shows_the_differences_and_repairs_them(store: Store) -> None:
    stack, app = store.stack, store.app
    customer, (remade, acknowledged) = synced(stack, 2)
    for order in (remade, acknowledged):  # a person voids both invoices in Xero
        (invoice,) = invoices_of(stack, order)
        stack.xero.by_hand.void(invoice["InvoiceID"])
    lost = stack.marketplace.add_order(customer["id"], [("MS-TEAMS-ESS", 1, "4.00")])
    stack.run_drift()  # the daily check keeps its counts for the dashboard

    store.go("/reconcile")
    app.get_by_text("The last daily check").wait_for()
    assert "found 3 differences" in app.locator(".drift-last").inner_text()
    # A period longer than the API takes: its answer beside the field it names.
    app.get_by_label("From").fill("2020-01-01")
    store.click(app.get_by_role("button", name="Run the report"))
    app.locator(".field-error", has_text="a period of at most 366 days").wait_for()
    assert app.get_by_label("To").get_attribute("aria-invalid") == "true"

    app.get_by_label("From").fill("2026-01-01")
    store.click(app.get_by_role("button", name="Run the report"))
    app.get_by_text("3 differences found.").wait_for()
    voided = app.get_by_role("region", name="Documents voided in Xero")
    never = app.get_by_role("region", name="Orders never picked up")
    assert never.get_by_role("listitem").count() == 1
    assert voided.get_by_role("listitem").count() == 2
    store.check("reconcile")
    store.picture("reconcile")

    # An order never picked up: its task is created (nothing sent).
    row = never.get_by_role("listitem").filter(has_text=f"Order {lost['orderNumber']}")
    store.click(row.get_by_role("button", name="Create the task"))
    row.get_by_text("task created").wait_for()
    assert stack.api("GET", f"/tasks/{lost['id']}").json()["task"]["status"] == "new"

    # A voided invoice made again in Xero, after a confirmation.
    row = voided.get_by_role("listitem").filter(has_text=f"Order {remade['orderNumber']}")
    store.click(row.get_by_role("button", name="Make it again in Xero"))
    dialog = app.get_by_role("dialog", name="Make the document again in Xero?")
    store.click(dialog.get_by_role("button", name="Make it again in Xero"))
    row.get_by_text("back to new, to be re-made").wait_for()
    stack.drain_queue()
    statuses = sorted(i["Status"] for i in invoices_of(stack, remade))
    assert statuses == ["AUTHORISED", "VOIDED"], statuses

    # Ignore asks for a reason; acknowledged meanwhile by someone else, it is no longer there.
    row = voided.get_by_role("listitem").filter(has_text=f"Order {acknowledged['orderNumber']}")
    store.click(row.get_by_role("button", name="Ignore…"))
    dialog = app.get_by_role("dialog", name="Ignore this difference")
    store.click(dialog.get_by_role("button", name="Ignore the difference"))
    dialog.get_by_text("say why the difference is acknowledged").wait_for()
    store.check("reconcile-ignore")
    store.picture("reconcile-ignore")
    key = f"document_voided:{acknowledged['id']}"
    window = {"from": "2026-01-01T00:00:00Z", "to": "2026-12-31T23:59:59Z"}
    body = {**window, "key": key, "action": "ignore", "reason": "credited by hand"}
    assert stack.api("POST", "/reconcile/repairs", json=body).status_code == 200
    dialog.get_by_label("Reason").fill("voided on purpose")
    store.click(dialog.get_by_role("button", name="Ignore the difference"))
    row.get_by_text("This difference is no longer there.").wait_for()
    store.click(row.get_by_role("button", name="Run the report again"))
    app.get_by_text("The books agree: no differences.").wait_for()
    assert "1 ignored earlier is not listed" in app.locator(".drift-summary").inner_text()


def test_a_customer_of_an_archived_contact_is_mapped_again_on_a_phone(
    stack: LocalStack, chromium: Any
) -> None:
    customer, _ = synced(stack, 1)
    (link,) = [
        c for c in stack.api("GET", "/customers").json() if c["customer_id"] == customer["id"]
    ]
    stack.xero.by_hand.archive_contact(link["xero_contact_id"])
    other = {"ContactID": str(uuid.uuid4()), "Name": "Survivor Ltd", "ContactStatus": "ACTIVE"}
    stack.xero.organisation().contacts[other["ContactID"]] = other

    store = open_store(stack, chromium, width=PHONE, height=800)
    try:
        app = store.app
        store.go("/reconcile")
        app.get_by_label("From").fill("2026-01-01")
        store.click(app.get_by_role("button", name="Run the report"))
        section = app.get_by_role("region", name="Customers mapped to an archived contact")
        row = section.get_by_role("listitem").filter(has_text=f"Customer {customer['id']}")
        row.wait_for()
        store.picture("reconcile-phone")
        store.click(row.get_by_role("button", name="Map to another contact…"))
        dialog = app.get_by_role("dialog", name="Map the customer to another contact")
        dialog.get_by_label("Find a Xero contact").fill("Survivor")
        store.click(dialog.get_by_role("button", name="Search"))
        dialog.get_by_role("option", name="Survivor Ltd").wait_for(state="attached")
        dialog.get_by_label("Xero contact", exact=True).select_option(label="Survivor Ltd")
        store.check("reconcile-remap-phone")
        store.picture("reconcile-remap-phone")
        store.click(dialog.get_by_role("button", name="Map the customer"))
        row.get_by_text(f"mapped to Xero contact {other['ContactID']}").wait_for()
        mapped = {c["customer_id"]: c for c in stack.api("GET", "/customers").json()}
        assert mapped[customer["id"]]["xero_contact_id"] == other["ContactID"]
        width = store.frame.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE, f"the screen is {width} px wide on a {PHONE} px phone"
    finally:
        store.page.context.close()
