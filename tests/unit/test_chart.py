"""Accounts, tax rates and tracking are chosen from the organisation's lists (domain/chart.py):
what may be picked for a purpose, why a choice no longer may, and where a line's account and
tax type come from."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cbxero.domain.chart import (
    Chart,
    Purpose,
    account_problem,
    accounts_for,
    active_tracking,
    line_choices,
    merged_tracking,
    revenue_tax_rates,
    tax_problem,
    tracking_problem,
)
from cbxero.domain.xero import (
    Account,
    LineItemTracking,
    TaxRate,
    TrackingCategory,
    TrackingOption,
)
from local.xero_emulator.chart import default_chart

# The emulator's standard organisation, read as the client reads it.
LISTS = default_chart()
CHART = Chart(
    name="Demo Reseller Ltd",
    accounts=tuple(Account.model_validate(raw) for raw in LISTS["Accounts"]),
    tax_rates=tuple(TaxRate.model_validate(raw) for raw in LISTS["TaxRates"]),
    tracking=tuple(TrackingCategory.model_validate(raw) for raw in LISTS["TrackingCategories"]),
)


def test_revenue_accounts_are_active_revenue_and_no_system_account() -> None:
    assert [a.code for a in accounts_for(CHART, Purpose.REVENUE)] == ["200", "210", "260", "270"]
    assert [a.code for a in accounts_for(CHART, Purpose.BANK)] == ["090", "091"]


def test_why_an_account_may_not_be_used_names_it_and_the_organisation() -> None:
    assert account_problem(CHART, "200", Purpose.REVENUE) is None
    assert account_problem(CHART, "999", Purpose.REVENUE) == (
        "account 999 is not an active revenue account of Demo Reseller Ltd: it has no such account"
    )
    assert account_problem(CHART, "280", Purpose.REVENUE) == (
        "account 280 (Old Services Revenue) is not an active revenue account of "
        "Demo Reseller Ltd: it is ARCHIVED"
    )
    assert "it is a system account" in (account_problem(CHART, "610", Purpose.REVENUE) or "")
    assert "of kind EXPENSE" in (account_problem(CHART, "400", Purpose.REVENUE) or "")
    assert "a bank account" not in (account_problem(CHART, "090", Purpose.BANK) or "")
    assert "of kind REVENUE" in (account_problem(CHART, "200", Purpose.BANK) or "")


def test_tax_rates_for_revenue_are_active_and_apply_to_revenue() -> None:
    assert [r.tax_type for r in revenue_tax_rates(CHART)] == ["OUTPUT", "OUTPUT2", "NONE"]
    assert tax_problem(CHART, "OUTPUT") is None
    assert "cannot apply to revenue" in (tax_problem(CHART, "INPUT") or "")
    assert "it is DELETED" in (tax_problem(CHART, "OUTPUT3") or "")
    assert "no such tax rate" in (tax_problem(CHART, "GST") or "")


def test_tracking_is_two_active_options_of_active_categories_at_most() -> None:
    north, direct = (
        LineItemTracking(name="Region", option="North"),
        LineItemTracking(name="Channel", option="Direct"),
    )
    assert tracking_problem(CHART, (north, direct)) is None
    third = LineItemTracking(name="Old Projects", option="Alpha")
    assert "at most 2" in (tracking_problem(CHART, (north, direct, third)) or "")
    assert "not an active category" in (tracking_problem(CHART, (third,)) or "")
    west = LineItemTracking(name="Region", option="West")
    assert "West is not an active option of Region" in (tracking_problem(CHART, (west,)) or "")
    assert "one option per" in (tracking_problem(CHART, (north, north)) or "")
    offered = {c.name: [o.name for o in c.options] for c in active_tracking(CHART)}
    assert offered == {"Region": ["North", "South"], "Channel": ["Marketplace", "Direct"]}


def test_a_products_tracking_wins_over_the_customers_for_the_same_category() -> None:
    product = (LineItemTracking(name="Region", option="North"),)
    customer = (
        LineItemTracking(name="Region", option="South"),
        LineItemTracking(name="Channel", option="Direct"),
    )
    assert merged_tracking(product, customer) == (product[0], customer[1])
    assert merged_tracking((), customer) == customer


CODES = st.none() | st.sampled_from(["200", "210", "260"])
TAXES = st.none() | st.sampled_from(["OUTPUT", "NONE"])


@settings(derandomize=True, max_examples=200)
@given(
    mapping=st.tuples(CODES, TAXES),
    item=st.tuples(CODES, TAXES),
    default=st.tuples(CODES, TAXES),
)
def test_the_mapping_beats_the_item_which_beats_the_settings(
    mapping: tuple[str | None, str | None],
    item: tuple[str | None, str | None],
    default: tuple[str | None, str | None],
) -> None:
    chosen = line_choices(
        mapping_account=mapping[0],
        mapping_tax=mapping[1],
        item_account=item[0],
        item_tax=item[1],
        default_account=default[0],
        default_tax=default[1],
    )
    assert chosen.account_code == (mapping[0] or item[0] or default[0])
    assert chosen.tax_type == (mapping[1] or item[1] or default[1])
    sources = {"product mapping": mapping, "Xero item": item, "settings": default}
    if chosen.account_code:
        assert sources[chosen.account_from][0] == chosen.account_code
    else:
        assert chosen.account_from == "none"


def test_an_unknown_category_option_is_refused() -> None:
    region = TrackingCategory(
        name="Region", status="ACTIVE", options=(TrackingOption(name="North", status="ACTIVE"),)
    )
    chart = Chart(name="Org", tracking=(region,))
    refused = tracking_problem(chart, (LineItemTracking(name="Region", option="East"),))
    assert refused == "tracking option East is not an active option of Region in Org"
