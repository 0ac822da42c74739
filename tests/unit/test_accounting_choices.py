"""Accounts, tax types and tracking chosen from the organisation's lists: checked when saved
(settings, product mappings, customers), checked again before each run (the accounting stage:
a choice no longer valid holds its task and nothing is sent), set on the items the product
makes; and the marketplace's tax per line held to Xero's, the difference shown on the task."""

from __future__ import annotations

from typing import Any

import pytest

from cbxero.domain.chart import Purpose
from cbxero.domain.errors import InvalidInput
from cbxero.domain.model import LogStatus, ProductMapping, TaskStatus, TrackingChoice
from cbxero.domain.settings import Settings, SettingsPatch
from cbxero.services.admin import ResellerAdmin
from cbxero.services.chart import ChartCheck, MappingChoices
from cbxero.services.mapping import MappingDesk
from local.simpleapi_emulator import fee
from local.world import Repositories, SyncWorld
from tests.fakes import FakeActionLog, FakeLinks, FakeMappings, FakeQueue, FakeSettings, FakeTasks

NORTH = TrackingChoice(name="Region", option="North")
DIRECT = TrackingChoice(name="Channel", option="Direct")


@pytest.fixture
def world() -> SyncWorld:
    built = SyncWorld(
        Repositories(FakeSettings(), FakeLinks(), FakeMappings(), FakeTasks(), FakeActionLog())
    )
    built.configure()
    built.product("E3", "Microsoft 365 E3", "36.00")
    return built


def desk(world: SyncWorld) -> MappingDesk:
    return MappingDesk(
        settings=world.repos.settings,
        links=world.repos.links,
        mappings=world.repos.mappings,
        marketplace=world.marketplace,
        xero=lambda _reseller: world.client(),
        action_log=world.repos.action_log,
        clock=world.clock,
    )


def admin(world: SyncWorld) -> ResellerAdmin:
    return ResellerAdmin(
        settings=world.repos.settings,
        links=world.repos.links,
        mappings=world.repos.mappings,
        tasks=world.repos.tasks,
        action_log=world.repos.action_log,
        queue=FakeQueue(),
        clock=world.clock,
        chart=ChartCheck(lambda _reseller: world.client()),
    )


def patch(**changes: object) -> SettingsPatch:
    return SettingsPatch.model_validate(changes)


def account(world: SyncWorld, code: str) -> dict[str, object]:
    return next(a for a in world.org.chart["Accounts"] if a["Code"] == code)


# ---------------------------------------------------------------------- before each run
def test_with_no_account_chosen_lines_go_to_the_organisations_active_sales_account(
    world: SyncWorld,
) -> None:
    customer = world.customer("Krauses Factory", linked=True)
    order = world.order(customer, [("E3", 1, "36.00")])
    world.sync(customer)
    assert [line["AccountCode"] for line in world.invoice_for(order)["LineItems"]] == ["200"]
    assert world.task(order).status is TaskStatus.SYNCED


def test_without_an_active_sales_account_the_task_asks_for_one_and_sends_nothing(
    world: SyncWorld,
) -> None:
    account(world, "200")["Status"] = "ARCHIVED"
    customer = world.customer("Krauses Factory", linked=True)
    order = world.order(customer, [("E3", 1, "36.00")])
    world.sync(customer)
    task = world.task(order)
    assert task.status is TaskStatus.ACTION_REQUIRED
    assert (task.reason or "").startswith(
        "choose a sales account: invoice line 1 (Microsoft 365 E3) has no account"
    )
    assert world.invoices() == []


def test_an_account_archived_since_it_was_chosen_holds_the_task_saying_why(
    world: SyncWorld,
) -> None:
    world.configure(sales_account_code="210")
    account(world, "210")["Status"] = "ARCHIVED"
    customer = world.customer("Krauses Factory", linked=True)
    order = world.order(customer, [("E3", 1, "36.00")])
    world.sync(customer)
    task = world.task(order)
    assert (task.status, task.reason) == (
        TaskStatus.ACTION_REQUIRED,
        "invoice line 1 (Microsoft 365 E3): account 210 (Subscription Revenue) is not an active "
        "revenue account of Demo Reseller Ltd: it is ARCHIVED; choose another from Xero's "
        "lists (mapping or settings)",
    )
    assert world.invoices() == []
    # Chosen again, from the list: the retried task syncs.
    world.configure(sales_account_code="260")
    world.repos.tasks.replace(task.moved_to(TaskStatus.NEW, world.clock.now()), previous=task)
    world.sync(customer)
    assert world.task(order).status is TaskStatus.SYNCED


def test_an_items_own_expense_account_or_a_tax_rate_for_purchases_is_refused(
    world: SyncWorld,
) -> None:
    world.product("AZ", "Azure plan", "10.00", account_code="400")
    world.product("PP", "Power Platform", "10.00", tax_type="INPUT")
    customer = world.customer("Krauses Factory", linked=True)
    azure = world.order(customer, [("AZ", 1, "10.00")])
    power = world.order(customer, [("PP", 1, "10.00")])
    fine = world.order(customer, [("E3", 1, "36.00")])
    world.sync(customer)
    assert "account 400 (Advertising) is not an active revenue account" in (
        world.task(azure).reason or ""
    )
    assert "tax type INPUT (Tax on Purchases)" in (world.task(power).reason or "")
    assert "cannot apply to revenue" in (world.task(power).reason or "")
    assert world.task(fine).status is TaskStatus.SYNCED  # one bad mapping holds only its orders
    assert len(world.invoices()) == 1


def test_the_product_mappings_account_tax_and_tracking_win_and_the_customers_tracking_adds(
    world: SyncWorld,
) -> None:
    mapping = world.repos.mappings.get_many(world.reseller_id, ["E3"])["E3"]
    chosen = {"account_code": "210", "tax_type": "OUTPUT", "tracking": (NORTH,)}
    world.repos.mappings.save(mapping.model_copy(update=chosen))
    customer = world.customer("Krauses Factory", linked=True)
    link = world.repos.links.get(world.reseller_id, customer)
    assert link is not None
    south = TrackingChoice(name="Region", option="South")
    world.repos.links.save(link.model_copy(update={"tracking": (south, DIRECT)}))
    order = world.order(customer, [("E3", 1, "36.00")])
    world.sync(customer)
    (line,) = world.invoice_for(order)["LineItems"]
    assert (line["AccountCode"], line["TaxType"]) == ("210", "OUTPUT")
    assert [(t["Name"], t["Option"]) for t in line["Tracking"]] == [
        ("Region", "North"),
        ("Channel", "Direct"),
    ]
    assert all(t["TrackingCategoryID"] and t["TrackingOptionID"] for t in line["Tracking"])


def test_a_tracking_option_archived_since_it_was_chosen_holds_the_task(world: SyncWorld) -> None:
    mapping = world.repos.mappings.get_many(world.reseller_id, ["E3"])["E3"]
    world.repos.mappings.save(mapping.model_copy(update={"tracking": (NORTH,)}))
    region = world.org.chart["TrackingCategories"][0]
    next(o for o in region["Options"] if o["Name"] == "North")["Status"] = "ARCHIVED"
    customer = world.customer("Krauses Factory", linked=True)
    order = world.order(customer, [("E3", 1, "36.00")])
    world.sync(customer)
    assert "tracking option North is not an active option of Region" in (
        world.task(order).reason or ""
    )
    assert world.invoices() == []


# ---------------------------------------------------------------------- tax per line
def test_a_tax_the_marketplace_computed_otherwise_is_shown_on_the_task_and_logged(
    world: SyncWorld,
) -> None:
    world.configure(tax_type="OUTPUT")
    customer = world.customer("Krauses Factory", linked=True)
    order = world.order(customer, [fee("E3", 1, "36.03", tax="5.41")])  # Xero: 5.40
    world.sync(customer)
    task = world.task(order)
    assert task.status is TaskStatus.SYNCED
    assert task.tax_differences == ("line 1 (Microsoft 365 E3): marketplace tax 5.41, Xero 5.40",)
    log = world.repos.action_log
    assert isinstance(log, FakeActionLog)
    entry = log.entries[-1]
    assert entry.status is LogStatus.ACTION_REQUIRED
    assert "tax differs from the marketplace's: line 1 (Microsoft 365 E3)" in entry.message
    same = world.order(customer, [fee("E3", 1, "36.00", tax="5.40")])
    world.sync(customer)
    assert world.task(same).tax_differences == ()


# ---------------------------------------------------------------------- when saved
def test_settings_are_checked_against_the_organisation_when_saved(world: SyncWorld) -> None:
    desk_admin = admin(world)
    with pytest.raises(InvalidInput) as refused:
        desk_admin.patch_settings(world.reseller_id, patch(sales_account_code="999"), "user")
    assert (refused.value.field, refused.value.message) == (
        "sales_account_code",
        "account 999 is not an active revenue account of Demo Reseller Ltd: it has no such account",
    )
    with pytest.raises(InvalidInput, match="cannot apply to revenue") as taxed:
        desk_admin.patch_settings(world.reseller_id, patch(tax_type="INPUT"), "user")
    assert taxed.value.field == "tax_type"
    saved, _ = desk_admin.patch_settings(
        world.reseller_id, patch(sales_account_code="210", tax_type="OUTPUT"), "user"
    )
    assert (saved.sales_account_code, saved.tax_type) == ("210", "OUTPUT")
    calls = world.accounting_calls()
    desk_admin.patch_settings(world.reseller_id, patch(trim_descriptions=True), "user")
    assert world.accounting_calls() == calls  # nothing chosen anew: Xero is not asked


def test_a_product_mapping_and_a_customers_tracking_are_checked_when_saved(
    world: SyncWorld,
) -> None:
    mapping_desk = desk(world)
    reseller = world.reseller_id
    world.market.add_product("AZ", "Azure plan", "10.00")
    code = world.item_for("AZ", "Azure plan", item_price="10.00")
    with pytest.raises(InvalidInput, match="it is a system account") as refused:
        mapping_desk.map_product(reseller, "AZ", code, "user", MappingChoices(account_code="610"))
    assert refused.value.field == "account_code"
    west = TrackingChoice(name="Region", option="West")
    with pytest.raises(InvalidInput, match="West is not an active option") as tracked:
        mapping_desk.map_product(reseller, "AZ", code, "user", MappingChoices(tracking=(west,)))
    assert tracked.value.field == "tracking"
    chosen = MappingChoices(account_code="210", tax_type="NONE", tracking=(NORTH, DIRECT))
    saved = mapping_desk.map_product(reseller, "AZ", code, "user", chosen)
    assert (saved.account_code, saved.tax_type, saved.tracking) == ("210", "NONE", (NORTH, DIRECT))
    customer = world.customer("Krauses Factory")
    with pytest.raises(InvalidInput, match="Old Projects is not an active category"):
        mapping_desk.set_customer_tracking(
            reseller, customer, (TrackingChoice(name="Old Projects", option="Alpha"),), "user"
        )
    link = mapping_desk.set_customer_tracking(reseller, customer, (DIRECT,), "user")
    assert link.tracking == (DIRECT,)


def test_the_lists_to_pick_from_are_filtered_by_purpose(world: SyncWorld) -> None:
    mapping_desk = desk(world)
    reseller = world.reseller_id
    revenue = [a.code for a in mapping_desk.accounts(reseller, Purpose.REVENUE)]
    assert revenue == ["200", "210", "260", "270"]
    assert [a.code for a in mapping_desk.accounts(reseller, Purpose.BANK)] == ["090", "091"]
    assert len(mapping_desk.accounts(reseller)) == len(world.org.chart["Accounts"])
    taxes = [r.tax_type for r in mapping_desk.tax_rates(reseller, Purpose.REVENUE)]
    assert taxes == ["OUTPUT", "OUTPUT2", "NONE"]
    categories = mapping_desk.tracking_categories(reseller)
    assert [(c.name, [o.name for o in c.options]) for c in categories] == [
        ("Region", ["North", "South"]),
        ("Channel", ["Marketplace", "Direct"]),
    ]


def item_coded(world: SyncWorld, code: str) -> dict[str, Any]:
    return next(item for item in world.org.items.values() if item["Code"] == code)


def test_items_the_product_makes_carry_the_sales_account_and_tax_type(world: SyncWorld) -> None:
    world.market.add_product("NEW-1", "New product", "5.00")
    made = desk(world).create_item(world.reseller_id, "NEW-1", "user")
    item = item_coded(world, made.mapping.xero_item_code)
    assert item["SalesDetails"] == {"AccountCode": "200"}  # the organisation's active 200
    world.configure(sales_account_code="210", tax_type="OUTPUT")
    world.market.add_product("NEW-2", "Newer product", "5.00")
    made = desk(world).create_item(world.reseller_id, "NEW-2", "user")
    sales = item_coded(world, made.mapping.xero_item_code)["SalesDetails"]
    assert (sales["AccountCode"], sales["TaxType"]) == ("210", "OUTPUT")


def test_a_mapping_read_back_keeps_its_choices() -> None:
    mapping = ProductMapping(
        reseller_id="r", mpn="E3", product_name="E3", xero_item_code="X", tracking=(NORTH,)
    )
    assert ProductMapping.model_validate(mapping.model_dump(mode="json")) == mapping
    assert Settings().sales_account_code is None  # none typed in for the reseller
