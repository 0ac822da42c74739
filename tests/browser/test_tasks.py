"""The Tasks screen in a real browser: filter the list, open a task, sync it by hand with an
edited line (and find that line on the invoice in the Xero emulator, with the link to it), ignore
with a reason and un-ignore, and a bulk action on the rows selected."""

from __future__ import annotations

import re
from typing import Any

from local.stack import LocalStack
from tests.browser.conftest import Store


def a_reseller_with_tasks(stack: LocalStack, orders: int) -> list[dict[str, Any]]:
    """A connected reseller, its customer and products mapped, and one task per order (made by
    Check changes, not synced: auto-sync is off)."""
    customer = stack.seed_demo_reseller(settings={"auto_sync": "off"})
    placed = [
        stack.marketplace.add_order(customer["id"], [("MS-TEAMS-ESS", n + 1, "4.00")])
        for n in range(orders)
    ]
    stack.api("POST", "/tasks/check-changes", json={"customer_id": customer["id"]})
    stack.drain_queue()
    return placed


def task(stack: LocalStack, order: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = stack.api("GET", f"/tasks/{order['id']}").json()["task"]
    return answer


def showing(store: Store, count: int) -> None:
    """Waits until the list shows this many tasks (and is not loading another page)."""
    store.frame.wait_for_function(
        """(count) => {
            const table = document.querySelector("table.tasks-table");
            return table && table.getAttribute("aria-busy") !== "true"
                && table.querySelectorAll("tbody tr").length === count;
        }""",
        arg=count,
    )


def test_filter_open_and_sync_a_task_by_hand_with_an_edited_line(store: Store) -> None:
    stack = store.stack
    first, second, third = a_reseller_with_tasks(stack, 3)
    stack.api("POST", f"/tasks/{third['id']}/ignore", json={"reason": "billed elsewhere"})
    store.go("/tasks")
    app = store.app
    showing(store, 3)
    store.check("tasks")
    store.picture("tasks")

    app.get_by_label("Status").select_option("ignored")  # the filter is kept in the route
    showing(store, 1)
    app.get_by_role("cell", name="billed elsewhere").wait_for()
    assert "status=ignored" in store.frame.url
    store.go("/tasks?status=new")  # as the dashboard links to it
    showing(store, 2)

    store.click(app.get_by_role("link", name=first["orderNumber"]))
    app.get_by_role("heading", name=f"Order {first['orderNumber']}").wait_for()
    app.get_by_role("cell", name="Microsoft Teams Essentials - recurring fee").wait_for()
    store.check("task")
    store.picture("task")

    store.click(app.get_by_role("link", name="Sync by hand…"))
    app.get_by_role("group", name=re.compile("Invoice line 1 of 1")).wait_for()
    app.get_by_label("Description").fill("Teams Essentials, as agreed with Anna")
    app.get_by_label("Unit price (USD)").fill("3.50")
    app.get_by_label("Quantity").fill("2000000000")  # a number, but more than the API takes
    store.click(app.get_by_role("button", name="Next"))
    store.click(app.get_by_label("A chosen invoice"))
    store.click(app.get_by_role("button", name="Next"))  # none chosen: said beside the field
    app.get_by_text("Choose the invoice the lines go onto.").wait_for()
    store.check("sync-wizard-target")
    store.picture("sync-wizard-target")
    store.click(app.get_by_label("A new invoice"))
    store.click(app.get_by_role("button", name="Next"))
    store.click(app.get_by_role("button", name="Sync to Xero"))
    quantity = app.get_by_label("Quantity")  # back on the line, the API's problem beside it
    problem = app.locator(f"#{quantity.get_attribute('aria-describedby').split()[-1]}")
    assert "less than 1000000000" in problem.inner_text()
    store.check("sync-wizard-error")
    store.picture("sync-wizard-error")
    quantity.fill("1")
    app.get_by_text("Was: 4.00").wait_for()
    assert not problem.is_visible()
    store.check("sync-wizard")
    store.picture("sync-wizard", readme=True)
    store.click(app.get_by_role("button", name="Next"))
    store.click(app.get_by_role("button", name="Next"))
    review = app.get_by_role("table", name="Invoice lines")
    review.get_by_text("Edited").wait_for()
    assert "3.5" in review.inner_text()
    store.check("sync-wizard-review")
    store.picture("sync-wizard-review")
    store.click(app.get_by_role("button", name="Sync to Xero"))
    app.get_by_text("Sending to Xero…").wait_for()
    assert task(stack, first)["target"] == "new"
    stack.drain_queue()  # the worker takes the task up, as SQS would deliver it
    link = app.get_by_role("link", name=re.compile(r"Open Invoice .* in Xero"))
    link.wait_for()
    store.picture("sync-wizard-outcome")

    document = task(stack, first)["document"]
    assert link.get_attribute("href") == document["link"] and document["id"] in document["link"]
    assert link.get_attribute("target") == "_blank"
    invoice = stack.xero.organisation().invoices[document["id"]]
    (line,) = invoice["LineItems"]
    assert (line["Description"], line["UnitAmount"]) == (
        "Teams Essentials, as agreed with Anna",
        3.5,
    )
    assert invoice["Reference"] == first["orderNumber"]
    del second


def test_ignore_with_a_reason_unignore_and_bulk_actions_on_selected_rows(store: Store) -> None:
    stack = store.stack
    first, second, third = a_reseller_with_tasks(stack, 3)
    app = store.app
    store.go(f"/tasks/{first['id']}")
    app.get_by_role("heading", name=f"Order {first['orderNumber']}").wait_for()
    store.click(app.get_by_role("button", name="Ignore…"))
    dialog = app.get_by_role("dialog", name=f"Ignore order {first['orderNumber']}")
    dialog.get_by_label("Reason").fill("Credited by hand in Xero")
    store.check("task-ignore")
    store.click(dialog.get_by_role("button", name="Ignore the task"))
    app.get_by_role("definition").filter(has_text="Credited by hand in Xero").wait_for()
    app.get_by_role("button", name="Un-ignore").wait_for()
    assert (task(stack, first)["status"], task(stack, first)["reason"]) == (
        "ignored",
        "Credited by hand in Xero",
    )
    store.click(app.get_by_role("button", name="Un-ignore"))
    app.get_by_role("button", name="Ignore…").wait_for()
    history = app.get_by_role("region", name="History")  # the task's Action Log entries
    history.get_by_text("Task ignored: Credited by hand in Xero").wait_for()
    history.get_by_text("Task returned to new").wait_for()
    store.check("task-history")
    assert task(stack, first)["status"] == "new"

    store.go("/tasks")
    showing(store, 3)
    store.click(app.get_by_label(f"Select order {first['orderNumber']}"))
    store.click(app.get_by_label(f"Select order {second['orderNumber']}"))
    app.get_by_label("Action", exact=True).select_option("ignore")
    app.get_by_label("Reason for ignoring").fill("Paid by card, outside Xero")
    store.click(app.get_by_role("button", name="Apply"))
    app.get_by_text("2 of 2 tasks ignored").wait_for()
    assert [task(stack, o)["status"] for o in (first, second, third)] == [
        "ignored",
        "ignored",
        "new",
    ]

    store.click(app.get_by_label("Select every task on this page"))
    app.get_by_label("Action", exact=True).select_option("unignore")
    store.click(app.get_by_role("button", name="Apply"))
    app.get_by_text("2 of 3 tasks returned to new, 1 skipped").wait_for()
    app.get_by_text(f"Order {third['orderNumber']}: it is new, not ignored").wait_for()
    store.check("tasks-bulk")
    store.picture("tasks-bulk")
    assert {task(stack, o)["status"] for o in (first, second, third)} == {"new"}

    store.go(f"/tasks/{third['id']}")  # Sync now: the lines as planned, where the setting says
    store.click(app.get_by_role("button", name="Sync now"))
    app.get_by_text("Sending to Xero…").wait_for()
    stack.drain_queue()
    app.get_by_role("link", name=re.compile(r"Open Invoice .* in Xero")).first.wait_for()
    assert task(stack, third)["status"] == "synced"
    store.picture("task-synced")

    store.go("/tasks")
    showing(store, 3)
    store.page.set_viewport_size({"width": 390, "height": 844})  # a phone: the table scrolls
    wide = store.frame.evaluate(
        "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )
    assert not wide, "the page scrolls sideways at 390 px (the table alone should scroll)"
    store.picture("tasks-phone")


def test_a_task_that_needs_action_after_sync_now_can_still_be_synced_by_hand(
    store: Store,
) -> None:
    """Sync now on a task whose product lost its mapping: the task needs action, and its page
    still offers Sync now and Sync by hand (they were hidden until a reload), with the time it
    is tried again named as the next try, not as past."""
    stack = store.stack
    (order,) = a_reseller_with_tasks(stack, 1)
    stack.api("DELETE", "/products/MS-TEAMS-ESS")
    app = store.app
    store.go(f"/tasks/{order['id']}")
    store.click(app.get_by_role("button", name="Sync now"))
    app.get_by_text("Sending to Xero…").wait_for()
    stack.drain_queue()
    app.get_by_text("Not synced:").wait_for()
    assert task(stack, order)["status"] == "action_required"
    app.get_by_role("link", name="Sync by hand…").wait_for()
    app.get_by_role("button", name="Sync now").wait_for()
    status = app.get_by_role("region", name="Status")
    status.get_by_text("Next try").wait_for()
    planned = app.get_by_role("region", name="Planned lines")  # the way to the fix, as the wizard
    assert planned.get_by_role("link", name="Open Mapping").get_attribute("href") == "#/mapping"
    assert status.get_by_text("Tried again").count() == 0
    store.check("task-action-required")
    store.click(app.get_by_role("button", name="Sync now"))  # again: the same way back
    stack.drain_queue()
    app.get_by_text("Not synced:").wait_for()
    app.get_by_role("link", name="Sync by hand…").wait_for()


def test_a_task_opened_by_its_order_number_says_so_once(store: Store) -> None:
    (order,) = a_reseller_with_tasks(store.stack, 1)
    store.go(f"/tasks/{order['orderNumber']}")  # a number typed where the id goes
    notice = store.app.locator(".notice-error").filter(has_text="no task")
    notice.first.wait_for()
    said = store.app.locator("main").inner_text()
    assert said.count("not its number") == 1, said
    assert "taskId" not in said
