"""Choices checked against the organisation's lists when they are saved: the settings' sales
account and tax type, a product mapping's account, tax type and tracking, a customer's
tracking. Each check reads Xero afresh (a save is rare; a stale copy would let a wrong code in)
and refuses with InvalidInput naming the field, e.g. "account 999 is not an active revenue
account of Demo Ltd: it has no such account". `check_account` is the general "chosen from
Xero's list" check, for any purpose (revenue, bank)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from cbxero.domain.chart import (
    STANDARD_SALES_ACCOUNT,
    Chart,
    Purpose,
    account_problem,
    tax_problem,
    tracking_problem,
)
from cbxero.domain.errors import InvalidInput
from cbxero.domain.model import TrackingChoice
from cbxero.domain.settings import Settings
from cbxero.domain.xero import Account, ItemSalesDetails, TaxRate, TrackingCategory
from cbxero.ports import XeroAccounting


class ChartSource(Protocol):
    """Where the lists come from: the organisation's client, or a run's kept lists."""

    organisation_name: str

    def accounts(self) -> list[Account]: ...
    def tax_rates(self) -> list[TaxRate]: ...
    def tracking_categories(self) -> list[TrackingCategory]: ...


def read_chart(
    xero: ChartSource, *, accounts: bool = True, taxes: bool = False, tracking: bool = False
) -> Chart:
    """The organisation's lists this check needs (each list is one Xero call, unless kept)."""
    return Chart(
        name=xero.organisation_name,
        accounts=tuple(xero.accounts()) if accounts else (),
        tax_rates=tuple(xero.tax_rates()) if taxes else (),
        tracking=tuple(xero.tracking_categories()) if tracking else (),
    )


class MappingChoices(BaseModel):
    """A product mapping's own account, tax type and tracking (each optional: the item's own,
    then the settings' default, when left out), chosen from the organisation's lists."""

    model_config = ConfigDict(frozen=True)

    account_code: str | None = None
    tax_type: str | None = None
    tracking: tuple[TrackingChoice, ...] = ()


class ChartCheck:
    """Refuses a choice the reseller's organisation does not offer for its purpose."""

    def __init__(self, xero: Callable[[str], XeroAccounting]) -> None:
        self._xero = xero

    def check_account(self, reseller_id: str, code: str, purpose: Purpose, field: str) -> None:
        chart = read_chart(self._xero(reseller_id))
        if problem := account_problem(chart, code, purpose):
            raise InvalidInput(problem, field=field)

    def check_settings(self, reseller_id: str, old: Settings, new: Settings) -> None:
        """The sales account and tax type, when this save chooses new ones; the bank account
        payments go to, when the push is turned on or its account changes."""
        account = new.sales_account_code
        account = account if account and account != old.sales_account_code else None
        tax = new.tax_type if new.tax_type and new.tax_type != old.tax_type else None
        self.check(reseller_id, account=account, tax_type=tax, account_field="sales_account_code")
        bank = new.payments_account_code
        if new.push_payments and not (old.push_payments and bank == old.payments_account_code):
            if not bank:
                raise InvalidInput(
                    "choose the Xero bank account payments go to", field="payments_account_code"
                )
            self.check_account(reseller_id, bank, Purpose.BANK, "payments_account_code")

    def check(
        self,
        reseller_id: str,
        *,
        account: str | None = None,
        tax_type: str | None = None,
        tracking: tuple[TrackingChoice, ...] = (),
        account_field: str = "account_code",
    ) -> None:
        """Each given choice against the organisation's lists, refused naming the request's
        field (`account_field`, `tax_type`, `tracking`)."""
        if not (account or tax_type or tracking):
            return
        chart = read_chart(
            self._xero(reseller_id),
            accounts=bool(account),
            taxes=bool(tax_type),
            tracking=bool(tracking),
        )
        if account and (problem := account_problem(chart, account, Purpose.REVENUE)):
            raise InvalidInput(problem, field=account_field)
        if tax_type and (problem := tax_problem(chart, tax_type)):
            raise InvalidInput(problem, field="tax_type")
        if tracking and (problem := tracking_problem(chart, tracking)):
            raise InvalidInput(problem, field="tracking")

    def item_sales(self, xero: XeroAccounting, settings: Settings) -> ItemSalesDetails:
        """A new item's sales account and tax type: the settings' (checked when saved), else
        the organisation's account 200 while it is an active revenue account, else none (a
        task then asks for a sales account before anything is sent)."""
        account = settings.sales_account_code
        if account is None:
            chart = read_chart(xero)
            if not account_problem(chart, STANDARD_SALES_ACCOUNT, Purpose.REVENUE):
                account = STANDARD_SALES_ACCOUNT
        return ItemSalesDetails(account_code=account, tax_type=settings.tax_type)
