"""The Action Log and the pop-up notifications, clicked as a reseller's finance person would:
entries arise as in production (an order synced, an order stopped for a missing mapping), the
log is filtered by status, action, customer and period, one entry is opened, and new entries
pop up while the app is open, each dismissed (and so marked read) or all marked read at once."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from playwright.sync_api import expect

from cbxero.domain.model import ActionLogEntry, LogStatus
from local.demo import ORDER_LINES
from local.records import DynamoLogRecords
from local.stack import DEMO_RESELLER, LocalStack
from tests.browser.conftest import Store, open_store

UNMAPPED = ("NO-ITEM-1", "Backup add-on", "3.00")


def _orders(stack: LocalStack, customer: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """One order that syncs and one stopped for a product with no Xero item, run by the schedule."""
    if UNMAPPED[0] not in stack.marketplace.products:
        stack.marketplace.add_product(*UNMAPPED)
    synced = stack.marketplace.add_order(customer["id"], ORDER_LINES)
    stopped = stack.marketplace.add_order(customer["id"], [(UNMAPPED[0], 1, UNMAPPED[2])])
    stack.fire_schedule("every_5_minutes")
    stack.drain_queue()
    return synced, stopped


def _older_entries(stack: LocalStack, count: int) -> None:
    """Entries from two days ago (payments seen in Xero), written straight to the log's table."""
    log = DynamoLogRecords(boto3.client("dynamodb"), stack.tables["ActionLogTable"])
    start = datetime.now(UTC) - timedelta(days=2)
    for n in range(count):
        log.add(
            ActionLogEntry(
                reseller_id=DEMO_RESELLER,
                at=start - timedelta(minutes=n),
                action="xero_change",
                status=LogStatus.INFO,
                message=f"Invoice INV-9{n:03} paid in Xero",
                read=True,
            )
        )


def _rows(store: Store) -> Any:
    return store.app.get_by_role("table").locator("tbody tr")


def test_the_action_log_filters_by_status_action_customer_and_period_and_opens_an_entry(
    stack: LocalStack, chromium: Any
) -> None:
    # all tasks: the log records every task's step, not only the problems
    customer = stack.seed_demo_reseller(
        settings={"auto_sync": "every_5_minutes", "notifications": "all_tasks"}
    )
    _older_entries(stack, 20)  # more than a page of 25 holds, with what arranging recorded
    synced, stopped = _orders(stack, customer)
    stack.api("POST", "/notifications/read-all")  # no pop-ups over the log's pictures
    store = open_store(stack, chromium)
    try:
        store.go("/action-log")
        app = store.app.get_by_role("main")  # the pop-ups beside it say some of the same
        app.get_by_role("heading", name="Action Log").wait_for()
        rows = _rows(store)
        expect(rows).to_have_count(25)  # a page; the rest on the next
        store.click(app.get_by_role("button", name="Next page"))
        expect(rows.last).to_contain_text("INV-9019 paid")  # the oldest comes last
        expect(app.get_by_role("button", name="Next page")).to_be_disabled()
        store.click(app.get_by_role("button", name="First page"))
        expect(rows).to_have_count(25)

        app.get_by_label("Status", exact=True).select_option(label="Action required")
        app.get_by_text(f"Order {stopped['orderNumber']}: no Xero item mapped").wait_for()
        expect(rows).to_have_count(1)
        assert "status=action_required" in store.frame.url

        app.get_by_label("Status", exact=True).select_option(label="Any status")
        app.get_by_label("Action", exact=True).select_option(label="Task created")
        app.get_by_text(f"Task created for sales order {synced['orderNumber']}").wait_for()
        expect(rows).to_have_count(2)

        app.get_by_label("Action", exact=True).select_option(label="Any action")
        app.get_by_label("Customer", exact=True).select_option(value=customer["id"])
        # its entries only: the two orders' (created, synced or stopped), not the settings' ones
        expect(rows).to_have_count(4)
        assert all(customer["name"] in row for row in rows.all_inner_texts())

        # the days as the browser's clock and time zone name them (the filter's own terms)
        today, tomorrow = store.frame.evaluate(
            "() => [0, 1].map((n) => new Date(Date.now() + n * 864e5).toLocaleDateString('en-CA'))"
        )
        app.get_by_label("From", exact=True).fill(tomorrow)
        app.get_by_text("No entries match these filters.").wait_for()
        app.get_by_label("From", exact=True).fill(today)
        expect(rows).to_have_count(4)
        store.check("action-log")
        store.picture("action-log")
        store.page.set_viewport_size({"width": 390, "height": 844})  # a phone: the table scrolls
        store.picture("action-log-phone")
        store.page.set_viewport_size({"width": 1280, "height": 900})

        # a period the wrong way round: the API's refusal shows next to the field it names
        store.go(f"/action-log?from={tomorrow}&to={today}")
        expect(app.get_by_label("From", exact=True)).to_have_accessible_description(
            re.compile("from is later than to")
        )
        expect(app.get_by_text("from is later than to")).to_have_count(1)

        store.click(app.get_by_role("link", name="Clear filters"))
        store.click(
            app.get_by_role(
                "link", name=re.compile(f"Order {synced['orderNumber']} synced to Xero")
            )
        )
        app.get_by_role("heading", name="Action Log entry").wait_for()
        task_link = app.get_by_role("link", name=f"Order {synced['orderNumber']}: open its task")
        assert task_link.get_attribute("href") == f"#/tasks/{synced['id']}"
        (invoice,) = stack.xero.organisation().invoices.values()
        in_xero = app.get_by_role("link", name=re.compile(r"Invoice .* in Xero"))
        assert invoice["InvoiceID"] in (in_xero.get_attribute("href") or "")
        expect(app.get_by_text("Automatic sync (schedule)")).to_be_visible()
        customer_link = app.get_by_role("link", name=re.compile(customer["name"]))
        assert customer_link.get_attribute("href") == f"#/action-log?customer={customer['id']}"
        store.check("action-log-entry")
        store.picture("action-log-entry")
    finally:
        store.page.context.close()


# The page's visibility as a browser reports it when its tab is in the background, and back.
HIDE = """() => {
    Object.defineProperty(document, "visibilityState", {value: "hidden", configurable: true});
    document.dispatchEvent(new Event("visibilitychange"));
}"""
SHOW = """() => {
    delete document.visibilityState;  // the own property set above; the document's comes back
    document.dispatchEvent(new Event("visibilitychange"));
}"""


def _until(check: Any, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the API never showed the change"
        time.sleep(0.1)


def test_new_entries_pop_up_a_few_at_a_time_and_dismissing_one_marks_it_read(
    stack: LocalStack, chromium: Any
) -> None:
    stack.web_host.notification_poll_seconds = 0.5  # the app looks every half second, not ten
    customer = stack.seed_demo_reseller(
        settings={"auto_sync": "every_5_minutes", "notifications": "all_tasks"}
    )
    store = open_store(stack, chromium)
    try:
        notes = store.app.get_by_role("complementary", name="Notifications")
        popups = notes.locator(".note")
        # what arranging the reseller recorded is unread already: three show, the rest wait
        expect(notes.get_by_role("link", name="+2 more unread in the Action Log")).to_be_visible()
        expect(popups).to_have_count(3)
        store.click(notes.get_by_role("button", name="Mark all as read"))
        expect(popups).to_have_count(0)
        assert stack.api("GET", "/notifications").json()["items"] == []

        # while the page is hidden (another browser tab), the app does not look
        store.frame.evaluate(HIDE)
        synced, stopped = _orders(stack, customer)  # while the app is open
        store.page.wait_for_timeout(1200)  # two intervals
        expect(popups).to_have_count(0)
        store.frame.evaluate(SHOW)  # back: it looks at once
        urgent = notes.get_by_role("alert").get_by_text(
            f"Order {stopped['orderNumber']}: no Xero item mapped"
        )
        expect(urgent).to_be_visible()
        calm = notes.get_by_role("status").get_by_text(f"Order {synced['orderNumber']} synced")
        expect(calm).to_be_visible()
        expect(popups).to_have_count(3)  # four new entries: three at once, "+1 more"
        expect(notes.get_by_role("link", name="+1 more unread in the Action Log")).to_be_visible()
        store.check("notifications")
        store.picture("notifications")

        unread = stack.api("GET", "/notifications").json()["items"]
        stopped_entry = next(e for e in unread if e["order_id"] == stopped["id"])
        popup = popups.filter(has_text="no Xero item mapped")
        store.click(popup.get_by_role("button", name="Dismiss notification"))
        expect(urgent).to_have_count(0)
        _until(lambda: stack.api("GET", f"/action-log/{stopped_entry['entry_id']}").json()["read"])
        expect(popups).to_have_count(3)  # the one waiting took its place; nothing waits now
        expect(notes.get_by_role("link", name=re.compile("more unread"))).to_have_count(0)

        # Escape inside a pop-up dismisses it too; a dismissed entry never comes back
        popups.first.get_by_role("button", name="Dismiss notification").focus()
        store.page.keyboard.press("Escape")
        expect(popups).to_have_count(2)
        _until(lambda: len(stack.api("GET", "/notifications").json()["items"]) == 2)
        store.page.wait_for_timeout(1200)  # two more looks at the API
        expect(popups).to_have_count(2)
        expect(urgent).to_have_count(0)

        # the pop-up's link opens its entry, which counts as read
        store.click(popups.first.get_by_role("link", name="Open in the Action Log"))
        store.app.get_by_role("heading", name="Action Log entry").wait_for()
        _until(lambda: len(stack.api("GET", "/notifications").json()["items"]) == 1)
        expect(popups).to_have_count(1)
        store.page.set_viewport_size({"width": 390, "height": 844})
        store.picture("notifications-phone")
    finally:
        store.page.context.close()


def test_pop_ups_tuck_away_after_a_while_and_open_again(stack: LocalStack, chromium: Any) -> None:
    # Pop-ups that stayed until dismissed covered the manual sync wizard's Next button (the seed
    # walk found it): they now tuck into one button after a while, still unread.
    stack.web_host.notification_poll_seconds = 0.5
    stack.web_host.notification_linger_seconds = 1
    stack.seed_demo_reseller(settings={"auto_sync": "off", "notifications": "all_tasks"})
    store = open_store(stack, chromium)
    try:
        notes = store.app.get_by_role("complementary", name="Notifications")
        pill = notes.get_by_role("button", name=re.compile(r"^\d+ unread notifications?$"))
        expect(notes.locator(".note").first).to_be_visible()
        expect(pill).to_be_visible(timeout=5_000)  # tucked after a second, nothing read
        expect(notes.locator(".note")).to_have_count(0)
        assert stack.api("GET", "/notifications").json()["items"]
        store.check("notifications-tucked")
        store.click(pill)
        expect(notes.locator(".note").first).to_be_visible()
    finally:
        store.page.context.close()
