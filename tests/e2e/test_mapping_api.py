"""The mapping screen through the API on the local stack: customers and products beside their
Xero contacts and items, the fees mapping, and the Xero look-ups."""

from __future__ import annotations

from typing import Any

from local.stack import DEMO_RESELLER, LocalStack


def connected(stack: LocalStack) -> dict[str, Any]:
    """The demo reseller, connected, its first customer on auto-sync."""
    return stack.seed_demo_reseller(settings={"auto_sync": "off"})


def test_products_with_their_mapping_status_and_the_many_to_one_rule(stack: LocalStack) -> None:
    connected(stack)
    rows = {row["mpn"]: row for row in stack.api("GET", "/products").json()}
    assert rows["MS-TEAMS-ESS"]["xero_item_code"] == "MS-TEAMS-ESS"
    assert stack.api("DELETE", "/products/AZ-PLAN").json() == {"unmapped": "AZ-PLAN"}
    unmapped = stack.api("GET", "/products", params={"unmapped": "true"}).json()
    assert [row["mpn"] for row in unmapped] == ["AZ-PLAN"]
    taken = stack.api("PUT", "/products/AZ-PLAN", json={"xero_item_code": "MS-TEAMS-ESS"})
    assert taken.status_code == 409
    assert "product MS-TEAMS-ESS" in taken.json()["message"]
    missing = stack.api("PUT", "/products/AZ-PLAN", json={"xero_item_code": "NOT-IN-XERO"})
    assert (missing.status_code, missing.json()["fields"][0]["field"]) == (400, "xero_item_code")
    assert (
        stack.api("PUT", "/products/NOT-SOLD", json={"xero_item_code": "AZ-PLAN"}).status_code
        == 404
    )
    assert [
        r["mpn"] for r in stack.api("GET", "/products", params={"unmapped": "true"}).json()
    ] == ["AZ-PLAN"]


def test_an_item_made_from_a_long_product_is_shortened_the_same_way(stack: LocalStack) -> None:
    connected(stack)
    mpn = "D903A2DB-BF6F-4434-83F1-21BA44017813_ANNUAL_COMMITMENT"
    name = "Microsoft 365 Business Premium (annual commitment, paid monthly) — EU"
    stack.marketplace.add_product(mpn, name, "22.00")
    made = stack.api("POST", f"/products/{mpn}/xero-item").json()
    code = made["mapping"]["xero_item_code"]
    assert (len(code), made["code_shortened"], made["name_shortened"]) == (30, True, True)
    assert code.startswith(mpn[:21])  # the MPN's start, then a digest of the whole
    item = next(i for i in stack.xero.organisation().items.values() if i["Code"] == code)
    assert len(item["Name"]) == 50
    assert made["item_name"] == item["Name"]  # what the screen reports
    again = stack.api("POST", f"/products/{mpn}/xero-item").json()
    assert again["mapping"]["xero_item_code"] == code  # the same code, and no second item
    assert sum(i["Code"] == code for i in stack.xero.organisation().items.values()) == 1


def test_the_cancellation_fee_mapping(stack: LocalStack) -> None:
    connected(stack)
    assert stack.api("GET", "/fees").json() == {"cancellation": None}
    mapped = stack.api("PUT", "/fees/cancellation", json={"xero_item_code": "AZ-PLAN"})
    assert mapped.status_code == 409  # AZ-PLAN's item is taken by the AZ-PLAN product
    stack.api("DELETE", "/products/AZ-PLAN")
    assert stack.api("PUT", "/fees/cancellation", json={"xero_item_code": "AZ-PLAN"}).ok
    assert stack.api("GET", "/fees").json() == {"cancellation": "AZ-PLAN"}


def test_customers_suggestions_mapping_and_unmapping(stack: LocalStack) -> None:
    customer = connected(stack)
    org = stack.xero.organisation()
    org.contacts["c-krause"] = {
        "ContactID": "c-krause",
        "Name": customer["name"],
        "ContactStatus": "ACTIVE",
    }
    rows = {row["customer_id"]: row for row in stack.api("GET", "/customers").json()}
    assert rows[customer["id"]]["xero_contact_id"] is None
    suggested = stack.api("GET", f"/customers/{customer['id']}/suggestions").json()
    assert [c["ContactID"] for c in suggested] == ["c-krause"]
    wrong = stack.api("PUT", f"/customers/{customer['id']}", json={"xero_contact_id": "nope"})
    assert (wrong.status_code, wrong.json()["fields"][0]["field"]) == (400, "xero_contact_id")
    org.contacts["c-old"] = {
        "ContactID": "c-old",
        "Name": "Old Krause",
        "ContactStatus": "ARCHIVED",
    }
    archived = stack.api("PUT", f"/customers/{customer['id']}", json={"xero_contact_id": "c-old"})
    assert (archived.status_code, archived.json()["fields"][0]["field"]) == (400, "xero_contact_id")
    assert "archived" in archived.json()["message"]
    linked = stack.api(
        "PUT",
        f"/customers/{customer['id']}",
        json={"xero_contact_id": "c-krause", "auto_sync": True},
    ).json()
    assert (linked["xero_contact_id"], linked["auto_sync"]) == ("c-krause", True)
    left = stack.api("GET", "/customers", params={"unmapped": "true"}).json()
    assert [row["name"] for row in left] == ["Incomplete Profile Inc"]  # the seed's other one
    unmapped = stack.api("DELETE", f"/customers/{customer['id']}/xero-contact").json()
    assert unmapped["xero_contact_id"] is None
    assert stack.api("DELETE", f"/customers/{customer['id']}/xero-contact").status_code == 404


def test_import_all_makes_complete_profiles_and_lists_the_rest(stack: LocalStack) -> None:
    connected(stack)
    market = stack.marketplace
    complete = market.add_customer("Nordwind GmbH", reseller_id=DEMO_RESELLER)
    partial = market.add_customer("No Mail Ltd", email=None, reseller_id=DEMO_RESELLER)
    others = market.add_customer("Someone Else's", reseller_id="reseller-other")
    report = stack.api("POST", "/customers/import").json()
    assert complete["id"] in report["created"]
    assert report["incomplete"][partial["id"]] == ["email"]
    assert others["id"] not in report["created"] + list(report["incomplete"])
    names = {c["Name"] for c in stack.xero.organisation().contacts.values()}
    assert "Nordwind GmbH" in names and "Someone Else's" not in names
    again = stack.api("POST", "/customers/import").json()
    assert again["created"] == [] and partial["id"] in again["incomplete"]
    # A customer named like an existing contact is not made again: the reseller confirms.
    twin = market.add_customer("Nordwind GmbH", reseller_id=DEMO_RESELLER)
    third = stack.api("POST", "/customers/import").json()
    assert third["created"] == [] and third["refused"] == {}
    assert third["to_confirm"][twin["id"]] == [
        f"Nordwind GmbH (same name; linked to customer {complete['id']})"
    ]
    made = stack.api("POST", f"/customers/{partial['id']}/xero-contact")
    assert (made.status_code, made.json()["fields"][0]["field"]) == (400, "customer")


def test_auto_sync_in_bulk(stack: LocalStack) -> None:
    first = connected(stack)
    second = stack.marketplace.add_customer("Second Ltd", reseller_id=DEMO_RESELLER)
    ids = [first["id"], second["id"]]
    changed = stack.api(
        "PUT", "/customers/auto-sync", json={"customer_ids": ids, "auto_sync": True}
    )
    assert [c["auto_sync"] for c in changed.json()] == [True, True]
    rows = {r["customer_id"]: r["auto_sync"] for r in stack.api("GET", "/customers").json()}
    assert {c: rows[c] for c in ids} == {first["id"]: True, second["id"]: True}
    assert sum(rows.values()) == 2  # the seed's other customer is untouched
    foreign = stack.marketplace.add_customer("Not Yours", reseller_id="reseller-other")
    refused = stack.api(
        "PUT", "/customers/auto-sync", json={"customer_ids": [foreign["id"]], "auto_sync": True}
    )
    assert refused.status_code == 404


def test_xero_look_ups_are_cached(stack: LocalStack) -> None:
    connected(stack)
    before = len(stack.xero.calls)
    accounts = stack.api("GET", "/xero/accounts").json()
    assert any(a["Code"] == "200" for a in accounts)
    assert stack.api("GET", "/xero/accounts").json() == accounts
    assert len(stack.xero.calls) == before + 1  # the second answer came from the cache
    assert stack.api("GET", "/xero/tax-rates").json()
    items = {i["Code"] for i in stack.api("GET", "/xero/items").json()}
    assert {"MS-TEAMS-ESS", "AZ-PLAN"} <= items
    assert stack.api("GET", "/xero/contacts", params={"search": "nobody"}).json() == []
    not_connected = stack.api("GET", "/xero/items", "reseller-never-connected")
    assert not_connected.status_code == 409


def test_accounts_tax_types_and_tracking_are_chosen_from_the_organisations_lists(
    stack: LocalStack,
) -> None:
    customer = connected(stack)
    revenue = stack.api("GET", "/xero/accounts", params={"purpose": "revenue"}).json()
    assert [a["Code"] for a in revenue] == ["200", "210", "260", "270"]
    bank = stack.api("GET", "/xero/accounts", params={"purpose": "bank"}).json()
    assert [a["Code"] for a in bank] == ["090", "091"]
    taxes = stack.api("GET", "/xero/tax-rates", params={"purpose": "revenue"}).json()
    assert [t["TaxType"] for t in taxes] == ["OUTPUT", "OUTPUT2", "NONE"]
    categories = stack.api("GET", "/xero/tracking-categories").json()
    assert [(c["Name"], [o["Name"] for o in c["Options"]]) for c in categories] == [
        ("Region", ["North", "South"]),
        ("Channel", ["Marketplace", "Direct"]),
    ]
    chosen = {
        "xero_item_code": "MS-TEAMS-ESS",
        "account_code": "210",
        "tax_type": "OUTPUT",
        "tracking": [{"name": "Region", "option": "North"}],
    }
    mapped = stack.api("PUT", "/products/MS-TEAMS-ESS", json=chosen)
    assert mapped.status_code == 200, mapped.text
    assert {k: mapped.json()[k] for k in ("account_code", "tax_type", "tracking")} == {
        "account_code": "210",
        "tax_type": "OUTPUT",
        "tracking": [{"name": "Region", "option": "North"}],
    }
    row = next(r for r in stack.api("GET", "/products").json() if r["mpn"] == "MS-TEAMS-ESS")
    assert (row["account_code"], row["tax_type"], row["tracking"]) == (
        "210",
        "OUTPUT",
        [{"name": "Region", "option": "North"}],
    )  # shown, and kept by a screen that maps the product again
    archived = {**chosen, "tracking": [{"name": "Region", "option": "West"}]}
    refused = stack.api("PUT", "/products/MS-TEAMS-ESS", json=archived)
    assert (refused.status_code, refused.json()["fields"][0]["field"]) == (400, "tracking")
    three = [{"name": "Region", "option": "North"}] * 3
    too_many = stack.api("PUT", "/products/MS-TEAMS-ESS", json={**chosen, "tracking": three})
    assert too_many.status_code == 422
    link = stack.api(
        "PUT",
        f"/customers/{customer['id']}",
        json={"auto_sync": True, "tracking": [{"name": "Channel", "option": "Direct"}]},
    )
    assert link.json()["tracking"] == [{"name": "Channel", "option": "Direct"}]
