"""The dashboard and the Xero connection screen, clicked as a reseller's finance person does: Xero's
consent in a pop-up (the emulator's consent page, not skipped), cancelled, granting no
organisation, then two organisations and the picker; a disconnect made inside Xero read as
"reconnect needed" with its reason; disconnecting; the organisation-switch confirmation; and the
dashboard's counts after an order synced, "Check changes" and the gear's Settings."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from local.dev import ORGANISATIONS, open_stack
from local.stack import LocalStack
from tests.browser.conftest import Store, open_store

FIRST, SECOND = ORGANISATIONS
expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect


@pytest.fixture
def two_orgs(dynamodb_local: str) -> Iterator[LocalStack]:
    """The stack `make dev` runs: Xero's consent page shown, two organisations."""
    with open_stack(dynamodb_endpoint=dynamodb_local, quiet=True) as stack:
        yield stack


@pytest.fixture
def page(two_orgs: LocalStack, chromium: Any) -> Iterator[Store]:
    opened = open_store(two_orgs, chromium)
    try:
        yield opened
    finally:
        opened.page.context.close()


def consent(store: Store, *, decision: str = "Allow access", untick: Sequence[str] = ()) -> None:
    """Clicks Connect to Xero and answers Xero's consent page in the pop-up it opens."""
    with store.page.expect_popup() as opened:
        store.click(store.app.get_by_role("button", name="Connect to Xero"))
    popup = opened.value
    popup.get_by_role("heading", name="Allow access to your Xero organisations").wait_for()
    for name in untick:
        popup.get_by_label(name).uncheck()
    popup.get_by_role("button", name=decision).click()
    popup.wait_for_event("close")  # connected.html hands the outcome back and closes


def connection(stack: LocalStack) -> dict[str, Any]:
    answer: dict[str, Any] = stack.api("GET", "/xero/connection").json()
    return answer


def test_connecting_in_a_popup_cancelled_none_granted_then_chosen(
    page: Store, two_orgs: LocalStack
) -> None:
    store, app = page, page.app
    # The dashboard leads to the connection screen while Xero is not connected.
    app.get_by_text("Xero is not connected.").wait_for()
    store.check("dashboard-not-connected")
    store.click(app.get_by_role("link", name="Connect Xero"))
    app.get_by_role("heading", name="Xero connection", level=1).wait_for()
    expect(app.locator("[data-status]")).to_have_text("Not connected")
    store.check("connection-not-connected")

    consent(store, decision="Cancel")
    app.get_by_text("Connecting was cancelled.").wait_for()
    # A browser that blocks the pop-up: the screen says so and offers Xero's page as a link.
    blocker = "() => { window.allowed = window.open; window.open = () => null; }"
    store.frame.evaluate(blocker)
    store.click(app.get_by_role("button", name="Connect to Xero"))
    with store.page.context.expect_page() as opened:  # a named window, opened by a link
        store.click(app.get_by_role("link", name="open Xero's consent page"))
    popup = opened.value
    for name in ORGANISATIONS:  # granting none
        popup.get_by_label(name).uncheck()
    popup.get_by_role("button", name="Allow access").click()
    app.get_by_text("No organisation was chosen.").wait_for()
    if not popup.is_closed():  # a window a link opened may not close itself: the user does
        popup.close()
    store.frame.evaluate("() => { window.open = window.allowed; }")
    assert connection(two_orgs)["status"] == "not_connected"
    store.check("connection-cancelled")

    consent(store)  # both organisations ticked: the picker
    app.get_by_role("heading", name="Choose the Xero organisation to sync").wait_for()
    assert connection(two_orgs)["status"] == "choose_tenant"
    store.check("connection-picker")
    store.picture("connection-picker")
    store.click(app.get_by_role("radio", name=FIRST))
    store.click(app.get_by_role("button", name="Sync to this organisation"))
    app.get_by_text(f"Connected to {FIRST}.").wait_for()
    expect(app.locator("[data-status]")).to_have_text("Connected")
    expect(app.locator(".connection-org")).to_have_text(FIRST)
    # The access granted in words, not OAuth scopes
    expect(app.locator(".connection-scopes")).to_contain_text("Invoices and credit notes")
    expect(app.locator(".connection-scopes")).not_to_contain_text("accounting.")
    now = connection(two_orgs)
    assert (now["status"], now["organisation_name"]) == ("connected", FIRST)
    # The organisation not chosen was disconnected at Xero.
    with two_orgs.xero.lock:
        granted = {t for r in two_orgs.xero.refresh_tokens.values() for t in r.grant.tenant_ids}
    assert granted == {two_orgs.xero.organisation(FIRST).tenant_id}
    store.check("connection-connected")
    store.picture("connection-connected")


def test_reconnect_needed_disconnect_and_the_switch_confirmation(
    page: Store, two_orgs: LocalStack
) -> None:
    store, app, stack = page, page.app, two_orgs
    stack.connect_xero()  # the first organisation
    store.go("/connection")
    expect(app.locator("[data-status]")).to_have_text("Connected")
    # The user removes the app in Xero (Connected Apps): the screen's live check finds out.
    stack.xero.disconnect_in_xero(stack.xero.organisation(FIRST).tenant_id)
    store.click(app.get_by_role("button", name="Check again"))
    expect(app.locator("[data-status]")).to_have_text("Reconnect needed")
    reason = app.get_by_role("alert").filter(has_text="Reconnect needed.")
    expect(reason).to_contain_text(f"Xero no longer lists {FIRST}")
    expect(reason).to_contain_text("disconnected in Xero")
    assert connection(stack)["status"] == "reconnect_needed"
    store.check("connection-reconnect-needed")
    store.picture("connection-reconnect-needed")
    # The dashboard leads back to the connection screen with the reason.
    store.go("/")
    expect(app.get_by_role("alert").filter(has_text="Reconnect needed.")).to_contain_text(
        "disconnected in Xero"
    )
    store.check("dashboard-reconnect-needed")
    store.click(app.get_by_role("link", name="Reconnect Xero"))
    expect(app.locator("[data-status]")).to_have_text("Reconnect needed")

    store.click(app.get_by_role("button", name="Disconnect"))
    dialog = app.get_by_role("dialog", name="Disconnect from Xero?")
    store.click(dialog.get_by_role("button", name="Disconnect"))
    app.get_by_text("Disconnected from Xero.").wait_for()
    assert connection(stack)["status"] == "not_connected"

    # Connecting again with both: the links belong to the first, so the second needs a switch.
    consent(store)
    app.get_by_text(f"Your customer links and product mappings belong to {FIRST}").wait_for()
    store.click(app.get_by_role("radio", name=SECOND))
    store.click(app.get_by_role("button", name="Sync to this organisation"))
    confirm = app.get_by_role("dialog", name=f"Switch to {SECOND}?")
    confirm.get_by_text("sets them aside").wait_for()
    store.check("connection-switch")
    store.picture("connection-switch")
    store.click(confirm.get_by_role("button", name="Switch and set them aside"))
    app.get_by_text(f"Connected to {SECOND}.").wait_for()
    assert connection(stack)["organisation_name"] == SECOND
    log = stack.api("GET", "/action-log", params={"action": "xero_connection"}).json()["items"]
    assert any(f"Switched Xero organisation from {FIRST} to {SECOND}" in e["message"] for e in log)


def test_the_dashboard_counts_check_changes_and_the_gear(page: Store, two_orgs: LocalStack) -> None:
    store, app, stack = page, page.app, two_orgs
    customer = stack.seed_demo_reseller()
    stack.marketplace.add_order(customer["id"], [("MS-TEAMS-ESS", 3, "4.00")])
    stack.marketplace.add_order(customer["id"], [("MS-O365-E3-M", 2, "36.00")])
    stack.fire_schedule("every_5_minutes")
    stack.drain_queue()
    # Someone deletes one of the (draft) invoices in Xero; the drift run finds it.
    stack.xero.by_hand.delete(next(iter(stack.xero.organisation(FIRST).invoices)))
    stack.run_drift()
    store.click(app.get_by_role("button", name="Refresh"))
    synced = app.get_by_role("link", name="2 synced")
    synced.wait_for()
    assert synced.get_attribute("href") == "#/tasks?status=synced"
    assert app.locator(".org-name").inner_text() == FIRST
    expect(app.get_by_text("Every five minutes")).to_be_visible()
    drift = stack.api("GET", "/dashboard").json()["drift"]
    assert drift["total"] >= 1
    expect(app.locator("#drift-title").locator("xpath=../..")).to_contain_text(
        f"{drift['total']} difference"
    )
    budget = stack.api("GET", "/dashboard").json()["budget_today"]
    assert budget["used"] > 0
    expect(app.get_by_text(f"{budget['left']:,} of {budget['limit']:,} calls left")).to_be_visible()
    store.check("dashboard")

    # A new order, seen by "Check changes" (a task made, not yet processed).
    stack.marketplace.add_order(customer["id"], [("MS-TEAMS-ESS", 1, "4.00")])
    store.click(app.get_by_role("button", name="Check changes"))
    app.get_by_text(re.compile(r"Checking changes for \d+ customers?")).wait_for()
    stack.drain_queue()
    store.click(app.get_by_role("button", name="Refresh"))
    app.get_by_role("link", name="1 new").wait_for()
    assert stack.api("GET", "/dashboard").json()["tasks_by_status"].get("new") == 1
    store.picture("dashboard", readme=True)
    # By keyboard: Refresh keeps the focus while it reloads (a disabled button dropped it)
    app.get_by_role("button", name="Refresh").focus()
    store.page.keyboard.press("Enter")
    app.get_by_role("link", name="1 new").wait_for()
    store.page.wait_for_timeout(300)
    assert store.frame.evaluate("() => document.activeElement.textContent") == "Refresh"

    # The back-fill's waiting task: done by no earlier than the next run; with automatic sync
    # off, no time at all (nothing takes it up until it is synced from Tasks).
    backfill = app.locator("#history-title").locator("xpath=..")
    expect(backfill).to_contain_text("done by")
    next_run = app.locator("dt", has_text="Next run").locator("xpath=following-sibling::dd[1]")
    assert backfill.inner_text().rstrip().endswith(f"done by {next_run.inner_text().strip()}")
    stack.api("PATCH", "/settings", json={"auto_sync": "off"})
    store.click(app.get_by_role("button", name="Refresh"))
    expect(backfill).to_contain_text("automatic sync is off: they wait until synced from Tasks")
    expect(backfill).not_to_contain_text("done by")
    stack.api("PATCH", "/settings", json={"auto_sync": "every_5_minutes"})

    # "clicking the gear icon on the dashboard and selecting Settings"
    store.click(app.get_by_role("button", name="Settings and mapping"))
    store.click(app.locator("#gear-menu").get_by_role("link", name="Settings"))
    app.get_by_role("heading", name=re.compile("Settings"), level=1).wait_for()
    assert store.frame.url.endswith("#/settings")
