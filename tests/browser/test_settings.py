"""The Settings window (gear menu > Settings), driven as a reseller's finance person does: the
nine settings of the store's Settings window and the accounting defaults saved through it, the
API's refusals shown beside their fields, and a save over someone else's newer save (412)."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from local.stack import LocalStack
from tests.browser.conftest import Store, open_store

# The nine settings, in the seed's order: the window's group, the choice clicked, and what the
# API then stores (each one away from its default, so that each click is seen to count).
NINE = [
    ("Load prices from", "Xero", "price_source", "xero"),
    ("Load product descriptions from", "Xero", "description_source", "xero"),
    ("Trim product description details", "Yes", "trim_descriptions", True),
    (
        "Allow mapping multiple products to a single product",
        "Yes",
        "allow_many_products_per_item",
        True,
    ),
    (
        "Generate the invoice number from",
        "Reseller Marketplace",
        "invoice_number_source",
        "marketplace",
    ),
    (
        "Automatically create and process synchronization tasks",
        "Once every five minutes",
        "auto_sync",
        "every_5_minutes",
    ),
    ("On downgrades", "Sync only resource quantity changes", "downgrades", "quantity_only"),
    ("Notify me of", "All tasks", "notifications", "all_tasks"),
    ("Synchronize orders to", "Existing Invoice", "invoice_target", "existing"),
]


def _radio(store: Store, group: str, choice: str) -> Any:
    return store.app.get_by_role("group", name=group, exact=True).get_by_role(
        "radio", name=re.compile(f"^{re.escape(choice)}")
    )


def _open_settings(store: Store) -> None:
    store.click(store.app.get_by_role("button", name="Settings and mapping"))
    store.click(store.app.locator("#gear-menu").get_by_role("link", name="Settings"))
    store.app.get_by_role("heading", name="Settings", level=1).wait_for()
    store.app.get_by_role("group", name=NINE[0][0], exact=True).wait_for()


def test_each_of_the_nine_settings_and_the_accounting_defaults_are_saved_from_the_window(
    stack: LocalStack, chromium: Any
) -> None:
    stack.seed_demo_reseller(settings={"auto_sync": "off"})  # one customer's auto-sync on
    customers = stack.api("GET", "/customers").json()
    store = open_store(stack, chromium, height=2900)  # the whole window: the picture below
    try:
        _open_settings(store)
        app = store.app
        # the seed's order, each with the seed's explanation beside it
        groups = app.locator("fieldset[data-setting]")
        assert groups.evaluate_all("gs => gs.map(g => g.dataset.setting)")[:9] == [
            n[2] for n in NINE
        ]
        assert (
            "only the product name is used"
            in app.get_by_role("group", name="Trim product description details").inner_text()
        )
        reminder = app.get_by_text("Auto-sync is also switched on per customer")
        expect(reminder).to_be_visible()
        app.get_by_text(f"1 of {len(customers)} customers have auto-sync switched on.").wait_for()
        assert (
            app.get_by_role("link", name="Mapping", exact=True).get_attribute("href") == "#/mapping"
        )
        for group, choice, _, _ in NINE:
            store.click(_radio(store, group, choice))
        # the accounting defaults come from the organisation's own lists
        sales = app.get_by_label("Sales account")
        sales.locator("option", has_text="210 — Subscription Revenue").wait_for(state="attached")
        assert "280" not in sales.inner_text()  # archived: not offered
        sales.select_option("210")
        app.get_by_label("Tax rate").select_option("OUTPUT2")
        app.get_by_label("Amounts are").select_option("Inclusive")
        app.get_by_label("New invoices are created as").select_option("AUTHORISED")
        app.get_by_label("Days").fill("30")
        app.get_by_label("Counted").select_option("DAYSAFTERBILLMONTH")
        store.click(app.get_by_label("Record marketplace payments in Xero"))
        app.get_by_label("Bank account for payments").select_option("091")
        expect(app.get_by_text("Unsaved changes: 16.")).to_be_visible()
        store.click(app.get_by_role("button", name="Save"))
        app.get_by_text(re.compile(r"^Saved at ")).wait_for()

        stored = stack.api("GET", "/settings").json()
        assert {name: stored[name] for _, _, name, _ in NINE} == {n: v for _, _, n, v in NINE}
        assert stored["sales_account_code"] == "210" and stored["tax_type"] == "OUTPUT2"
        assert (stored["line_amount_types"], stored["new_invoice_status"]) == (
            "Inclusive",
            "AUTHORISED",
        )
        assert stored["due_date_terms"] == {"rule": "DAYSAFTERBILLMONTH", "days": 30}
        assert (stored["push_payments"], stored["payments_account_code"]) == (True, "091")

        # opened again, the window shows what was stored
        store.go("/")
        _open_settings(store)
        for group, choice, _, _ in NINE:
            assert _radio(store, group, choice).is_checked(), group
        assert app.get_by_label("Sales account").input_value() == "210"
        store.check("settings")
        # the README's picture: what was stored, no clock time (it changes only with the screen)
        store.frame.evaluate("() => window.scrollTo(0, 0)")
        store.picture("settings", readme=True)
    finally:
        store.page.context.close()


def test_the_api_refusals_appear_beside_their_fields_without_xero_on_a_phone(
    stack: LocalStack, chromium: Any
) -> None:
    store = open_store(stack, chromium, width=390, height=900)
    try:
        store.go("/settings")
        app = store.app
        app.get_by_text("Xero is not connected").wait_for()
        assert app.get_by_role("link", name="Connect Xero").get_attribute("href") == "#/connection"
        assert app.get_by_label("Sales account").is_disabled()
        store.picture("settings-phone")

        app.get_by_label("Days").fill("400")
        store.click(app.get_by_role("button", name="Save"))
        days = app.locator(".due-days")
        days.locator(".field-error").wait_for()
        assert "365" in days.locator(".field-error").inner_text()
        assert app.get_by_label("Days").get_attribute("aria-invalid") == "true"
        assert store.frame.evaluate("() => document.activeElement.closest('.due-days') !== null")
        expect(app.get_by_text("Not saved.")).to_be_visible()
        assert stack.api("GET", "/settings").json()["due_date_terms"]["days"] == 14
        store.check("settings-errors")
        store.picture("settings-phone-errors")

        # a rule only the API knows: payments need a bank account
        app.get_by_label("Days").fill("30")
        store.click(app.get_by_label("Record marketplace payments in Xero"))
        store.click(app.get_by_role("button", name="Save"))
        bank = app.locator(".field", has=app.get_by_label("Bank account for payments"))
        bank.locator(".field-error", has_text="choose the Xero bank account").wait_for()
        assert days.locator(".field-error").count() == 0
        assert stack.api("GET", "/settings").json()["push_payments"] is False

        store.click(app.get_by_label("Record marketplace payments in Xero"))
        store.click(app.get_by_role("button", name="Save"))
        app.get_by_text(re.compile(r"^Saved at ")).wait_for()
        assert stack.api("GET", "/settings").json()["due_date_terms"]["days"] == 30
    finally:
        store.page.context.close()


def test_a_save_over_someone_elses_newer_save_shows_the_conflict_and_reloads(store: Store) -> None:
    app = store.app
    _open_settings(store)
    # another admin saves meanwhile
    store.stack.api("PATCH", "/settings", json={"price_source": "xero"}).raise_for_status()

    store.click(_radio(store, "Trim product description details", "Yes"))
    store.click(app.get_by_role("button", name="Save"))
    app.get_by_text("someone else saved the settings").wait_for()
    expect(app.get_by_text("The other save changed: Load prices from (now Xero).")).to_be_visible()
    assert _radio(store, "Trim product description details", "Yes").is_checked()  # kept
    assert app.get_by_role("button", name="Save").is_disabled()
    stored = store.stack.api("GET", "/settings").json()
    assert (stored["price_source"], stored["trim_descriptions"]) == ("xero", False)
    store.check("settings-conflict")
    store.picture("settings-conflict")

    store.click(app.get_by_role("button", name="Reload settings"))
    _radio(store, "Load prices from", "Xero").wait_for()
    app.get_by_text("someone else saved the settings").wait_for(state="detached")
    assert _radio(store, "Load prices from", "Xero").is_checked()
    assert _radio(store, "Trim product description details", "No").is_checked()

    store.click(_radio(store, "Trim product description details", "Yes"))
    # leaving with unsaved changes asks first
    store.click(app.get_by_role("navigation", name="Main").get_by_role("link", name="Tasks"))
    leave = app.get_by_role("dialog", name="Leave without saving?")
    leave.wait_for()
    store.check("settings-leave")
    store.click(leave.get_by_role("button", name="Stay on Settings"))
    leave.wait_for(state="hidden")
    assert _radio(store, "Trim product description details", "Yes").is_checked()

    store.click(app.get_by_role("button", name="Save"))
    app.get_by_text(re.compile(r"^Saved at ")).wait_for()
    stored = store.stack.api("GET", "/settings").json()
    assert (stored["price_source"], stored["trim_descriptions"]) == ("xero", True)
