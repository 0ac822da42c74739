"""Accounts, tax rates and tracking are chosen from the organisation's own lists, never typed.

`Chart` is what Xero says the organisation has (its accounts, tax rates and tracking
categories, as read); the functions here say what may be picked for a purpose, and why a
chosen value no longer may (archived, deleted, a system account, the wrong class, gone). The
same checks run when a mapping is saved and before every run, so a code that was right when
chosen but is wrong now stops the task instead of posting to the wrong place (Xero's
certification checkpoints 7, 8 and 9).

Where a line's account, tax type and tracking come from, most specific first:
the product mapping's, the Xero item's own, then the reseller's settings (`line_choices`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from cbxero.domain.model import TrackingChoice
from cbxero.domain.xero import Account, LineItemTracking, TaxRate, TrackingCategory

ACTIVE = "ACTIVE"
TRACKING_LIMIT = 2  # Xero takes at most two tracking categories on a line
# Xero's standard charts (every region) call account 200 "Sales": the default when a reseller
# has chosen none, used only while the organisation holds it as an active revenue account.
STANDARD_SALES_ACCOUNT = "200"


class Purpose(StrEnum):
    """What an account is picked for: revenue for invoice lines, bank for payments."""

    REVENUE = "revenue"
    BANK = "bank"


@dataclass(frozen=True)
class Chart:
    """An organisation's lists as Xero gave them; `name` names it in messages."""

    name: str
    accounts: tuple[Account, ...] = ()
    tax_rates: tuple[TaxRate, ...] = ()
    tracking: tuple[TrackingCategory, ...] = ()


def fits(account: Account, purpose: Purpose) -> bool:
    """Whether the account may be picked for this purpose: ACTIVE, no system account, and of
    the purpose's kind (class REVENUE; type BANK)."""
    if account.status != ACTIVE or account.system_account:
        return False
    if purpose is Purpose.REVENUE:
        return account.class_ == "REVENUE"
    return account.type == "BANK"


def accounts_for(chart: Chart, purpose: Purpose) -> list[Account]:
    """The accounts a user may pick for this purpose, by code."""
    return sorted(
        (a for a in chart.accounts if a.code and fits(a, purpose)), key=lambda a: a.code or ""
    )


def account_problem(chart: Chart, code: str, purpose: Purpose) -> str | None:
    """Why `code` may not be used for this purpose in this organisation, or None."""
    found = next((a for a in chart.accounts if a.code == code), None)
    wanted = f"an active {purpose.value} account of {chart.name}"
    if found is None:
        return f"account {code} is not {wanted}: it has no such account"
    if found.status != ACTIVE:
        return f"account {code} ({found.name}) is not {wanted}: it is {found.status}"
    if found.system_account:
        return f"account {code} ({found.name}) is not {wanted}: it is a system account"
    if not fits(found, purpose):
        kind = found.class_ if purpose is Purpose.REVENUE else found.type
        return f"account {code} ({found.name}) is not {wanted}: it is of kind {kind}"
    return None


def revenue_tax_rates(chart: Chart) -> list[TaxRate]:
    """The tax rates a user may pick for sales lines: ACTIVE and able to apply to revenue."""
    return [
        rate
        for rate in chart.tax_rates
        if rate.tax_type and rate.status == ACTIVE and rate.can_apply_to_revenue
    ]


def tax_problem(chart: Chart, tax_type: str) -> str | None:
    """Why `tax_type` may not be used on sales lines in this organisation, or None."""
    found = next((r for r in chart.tax_rates if r.tax_type == tax_type), None)
    wanted = f"an active tax rate for revenue of {chart.name}"
    if found is None:
        return f"tax type {tax_type} is not {wanted}: it has no such tax rate"
    if found.status != ACTIVE:
        return f"tax type {tax_type} ({found.name}) is not {wanted}: it is {found.status}"
    if not found.can_apply_to_revenue:
        return f"tax type {tax_type} ({found.name}) is not {wanted}: it cannot apply to revenue"
    return None


def active_tracking(chart: Chart) -> list[TrackingCategory]:
    """The tracking categories a user may pick from, each with its ACTIVE options only."""
    return [
        category.model_copy(
            update={"options": tuple(o for o in category.options if o.status == ACTIVE)}
        )
        for category in chart.tracking
        if category.status == ACTIVE
    ]


def tracking_problem(
    chart: Chart, choices: Sequence[TrackingChoice | LineItemTracking]
) -> str | None:
    """Why these tracking choices may not be used, or None: at most two, one option per
    category, each an ACTIVE option of an ACTIVE category of the organisation."""
    if len(choices) > TRACKING_LIMIT:
        return f"at most {TRACKING_LIMIT} tracking categories, as Xero allows; {len(choices)} given"
    names = [choice.name for choice in choices]
    if len(set(names)) != len(names):
        return "one option per tracking category"
    for choice in choices:
        category = next((c for c in chart.tracking if c.name == choice.name), None)
        if category is None or category.status != ACTIVE:
            return f"tracking category {choice.name} is not an active category of {chart.name}"
        option = next((o for o in category.options if o.name == choice.option), None)
        if option is None or option.status != ACTIVE:
            return (
                f"tracking option {choice.option} is not an active option of "
                f"{choice.name} in {chart.name}"
            )
    return None


def on_line(choices: Sequence[TrackingChoice]) -> tuple[LineItemTracking, ...]:
    """Chosen tracking as a line carries it (Xero's `Tracking`)."""
    return tuple(LineItemTracking(name=choice.name, option=choice.option) for choice in choices)


def merged_tracking(
    product: tuple[LineItemTracking, ...], customer: tuple[LineItemTracking, ...]
) -> tuple[LineItemTracking, ...]:
    """A line's tracking: the product's choices, then the customer's for the categories the
    product leaves open (a product's word wins for a category both name); at most two."""
    named = {choice.name for choice in product}
    merged = (*product, *(choice for choice in customer if choice.name not in named))
    return merged[:TRACKING_LIMIT]


@dataclass(frozen=True)
class LineChoices:
    """A line's account and tax type, and where each came from (for messages)."""

    account_code: str | None
    tax_type: str | None
    account_from: str = "none"
    tax_from: str = "none"


def line_choices(
    *,
    mapping_account: str | None,
    mapping_tax: str | None,
    item_account: str | None,
    item_tax: str | None,
    default_account: str | None,
    default_tax: str | None,
) -> LineChoices:
    """The account and tax type a line gets: the product mapping's, else the Xero item's own,
    else the settings' default (each decided on its own; None when none gives one)."""
    account, account_from = _first(
        (mapping_account, "product mapping"),
        (item_account, "Xero item"),
        (default_account, "settings"),
    )
    tax, tax_from = _first(
        (mapping_tax, "product mapping"), (item_tax, "Xero item"), (default_tax, "settings")
    )
    return LineChoices(account, tax, account_from, tax_from)


def _first(*options: tuple[str | None, str]) -> tuple[str | None, str]:
    for value, source in options:
        if value:
            return value, source
    return None, "none"
