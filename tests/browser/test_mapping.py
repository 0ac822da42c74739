"""The Mapping screen in a browser: customers mapped to Xero contacts (an existing one, one made
from the profile, import all with its report), auto-sync one by one and in bulk; products
mapped to Xero items, an item made in Xero with its code shortened, the many-to-one rule's
message; the cancellation fee's item. Each effect is checked in the API and the Xero emulator."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from local.stack import DEMO_RESELLER, LocalStack
from tests.browser.conftest import Store

LONG_MPN = "D903A2DB-BF6F-4434-83F1-21BA44017813_ANNUAL_COMMITMENT"
LONG_NAME = "Microsoft 365 Business Premium (annual commitment, paid monthly) — EU"


def _customers(stack: LocalStack) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in stack.api("GET", "/customers").json()}


def test_customers_are_mapped_made_imported_and_switched(store: Store) -> None:
    stack = store.stack
    krause = stack.seed_demo_reseller(settings={"auto_sync": "off"})
    org = stack.xero.organisation()
    org.contacts["c-krause"] = {
        "ContactID": "c-krause",
        "Name": krause["name"],
        "ContactStatus": "ACTIVE",
    }
    org.contacts["c-tax"] = {
        "ContactID": "c-tax",
        "Name": "Tax Match Holding",
        "TaxNumber": "DE123456789",
        "ContactStatus": "ACTIVE",
    }
    market = stack.marketplace
    market.add_customer("Nordwind GmbH", reseller_id=DEMO_RESELLER)
    market.add_customer("Baltic Traders", reseller_id=DEMO_RESELLER)
    market.add_customer("Tax Match Ltd", tax_reg_id="DE123456789", reseller_id=DEMO_RESELLER)
    store.go("/mapping")
    app = store.app
    row = app.get_by_role("row", name="Incomplete Profile Inc")
    row.get_by_text("Lacks email address, country").wait_for()

    # an existing contact, from the suggestions
    store.click(app.get_by_role("button", name=f"Map {krause['name']} to a Xero contact"))
    dialog = app.get_by_role("dialog")
    dialog.get_by_role("list", name="Suggested contacts").wait_for()
    store.check("mapping-customers-dialog")
    store.picture("mapping-customers-dialog")
    store.click(dialog.get_by_role("list", name="Suggested contacts").get_by_role("button"))
    app.get_by_text(f"{krause['name']} is mapped to Xero contact {krause['name']}.").wait_for()
    assert _customers(stack)[krause["name"]]["xero_contact_id"] == "c-krause"
    assert _customers(stack)[krause["name"]]["auto_sync"] is True  # the switch kept as it was

    # a contact made from the profile
    store.click(app.get_by_role("button", name="Create in Xero for Nordwind GmbH"))
    app.get_by_text("A Xero contact was created for Nordwind GmbH").wait_for()
    made = _customers(stack)["Nordwind GmbH"]["xero_contact_id"]
    assert org.contacts[made]["Name"] == "Nordwind GmbH"

    # import all, and its report
    store.click(app.get_by_role("button", name="Import all"))
    report = app.get_by_role("region", name="Import report")
    report.get_by_text("1 made, 1 matched, 1 skipped.").wait_for()
    lacks = report.get_by_text("Incomplete Profile Inc: lacks email address, country")
    expect(lacks).to_be_visible()
    rows = _customers(stack)
    assert rows["Tax Match Ltd"]["xero_contact_id"] == "c-tax"
    assert org.contacts[rows["Baltic Traders"]["xero_contact_id"]]["Name"] == "Baltic Traders"
    assert app.get_by_role("row", name="Baltic Traders").get_by_role("cell").nth(
        3
    ).inner_text() == (
        "Baltic Traders"  # the contact made, by its name
    )
    store.check("mapping-customers")
    store.picture("mapping-customers")

    # auto-sync: one switch, then two customers at once
    store.click(app.get_by_role("switch", name="Auto-sync for Nordwind GmbH"))
    app.get_by_text("Auto-sync on for Nordwind GmbH.").wait_for()
    assert _customers(stack)["Nordwind GmbH"]["auto_sync"] is True
    store.click(app.get_by_role("checkbox", name="Select Baltic Traders"))
    store.click(app.get_by_role("checkbox", name="Select Tax Match Ltd"))
    store.click(app.get_by_role("button", name="Auto-sync on for selected"))
    app.get_by_text("Auto-sync on for 2 customers.").wait_for()
    rows = _customers(stack)
    assert [rows[n]["auto_sync"] for n in ("Baltic Traders", "Tax Match Ltd")] == [True, True]
    assert rows["Incomplete Profile Inc"]["auto_sync"] is False

    # unlink
    store.click(app.get_by_role("button", name="Unlink Tax Match Ltd"))
    app.get_by_text("Tax Match Ltd is no longer mapped to a Xero contact.").wait_for()
    assert _customers(stack)["Tax Match Ltd"]["xero_contact_id"] is None

    # the unmapped filter
    store.click(app.get_by_label("Unmapped only"))
    app.get_by_role("row", name="Baltic Traders").wait_for(state="detached")
    expect(app.get_by_role("row", name="Incomplete Profile Inc")).to_be_visible()
    expect(report.get_by_role("listitem").filter(has_text="Baltic Traders")).to_be_visible()
    store.page.set_viewport_size({"width": 390, "height": 844})  # a phone
    store.picture("mapping-customers-phone")


def test_products_are_mapped_made_in_xero_and_the_fee_mapped(store: Store) -> None:
    stack = store.stack
    stack.seed_demo_reseller(settings={"auto_sync": "off"})
    stack.api("DELETE", "/products/AZ-PLAN").raise_for_status()
    stack.marketplace.add_product(LONG_MPN, LONG_NAME, "22.00")
    org = stack.xero.organisation()
    org.items["FEE-CANCEL"] = {"ItemID": "i-fee", "Code": "FEE-CANCEL", "Name": "Cancellation"}
    org.items["O365-NEW"] = {"ItemID": "i-new", "Code": "O365-NEW", "Name": "Microsoft 365 E3"}
    chosen = {"xero_item_code": "MS-O365-E3-M", "account_code": "210", "tax_type": "OUTPUT"}
    stack.api("PUT", "/products/MS-O365-E3-M", json=chosen).raise_for_status()
    store.go("/mapping/products")
    app = store.app
    azure = app.get_by_role("row", name="Azure plan")

    # the many-to-one rule: the API's message beside the field
    azure.get_by_label("Xero item for Azure plan").select_option("MS-TEAMS-ESS")
    store.click(azure.get_by_role("button", name="Map Azure plan", exact=True))
    azure.get_by_text("already mapped to product MS-TEAMS-ESS").wait_for()
    store.check("mapping-products-refused")
    store.picture("mapping-products-refused")

    azure.get_by_label("Xero item for Azure plan").select_option("AZ-PLAN")
    store.click(azure.get_by_role("button", name="Map Azure plan", exact=True))
    app.get_by_text("Azure plan is mapped to Xero item AZ-PLAN.").wait_for()
    products = {r["mpn"]: r for r in stack.api("GET", "/products").json()}
    assert products["AZ-PLAN"]["xero_item_code"] == "AZ-PLAN"

    # another item for a product mapped with its own account and tax type: both kept
    o365 = app.get_by_role("row", name="Microsoft 365 E3 (monthly)")
    o365.get_by_text("Account 210 · Tax type OUTPUT").wait_for()
    o365.get_by_label("Xero item for Microsoft 365 E3 (monthly)").select_option("O365-NEW")
    store.click(o365.get_by_role("button", name="Map Microsoft 365 E3 (monthly)", exact=True))
    app.get_by_text("is mapped to Xero item O365-NEW.").wait_for()
    row = next(r for r in stack.api("GET", "/products").json() if r["mpn"] == "MS-O365-E3-M")
    assert (row["xero_item_code"], row["account_code"], row["tax_type"]) == (
        "O365-NEW",
        "210",
        "OUTPUT",
    )

    # an item made in Xero from a product too long for Xero's code and name
    store.click(app.get_by_role("button", name=f"Create item in Xero for {LONG_NAME}"))
    said = app.get_by_text("Shortened its code to")
    said.wait_for()
    code = stack.api("GET", "/products").json()
    code = next(r["xero_item_code"] for r in code if r["mpn"] == LONG_MPN)
    assert len(code) == 30 and code in said.inner_text()
    item = next(i for i in org.items.values() if i["Code"] == code)
    assert item["Name"] in said.inner_text()
    # the new item is in the list at once, named, for this product and the others
    for picker in app.get_by_role("combobox", name=re.compile(r"^Xero item for ")).all():
        picker.locator("option", has_text=f"{code} — {item['Name']}").wait_for(state="attached")
    store.check("mapping-products")
    store.picture("mapping-products")

    # the cancellation fee
    store.click(app.get_by_role("link", name="Fees"))
    app.get_by_text("Not mapped yet").wait_for()
    app.get_by_label("Xero item for the cancellation fee").select_option("FEE-CANCEL")
    store.click(app.get_by_role("button", name="Save"))
    app.get_by_text("The cancellation fee is mapped to Xero item FEE-CANCEL.").wait_for()
    assert stack.api("GET", "/fees").json() == {"cancellation": "FEE-CANCEL"}
    store.check("mapping-fees")
    store.picture("mapping-fees")
