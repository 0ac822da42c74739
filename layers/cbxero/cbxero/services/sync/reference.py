"""The organisation's slow-changing lists a run checks against: its accounts, tax rates,
tracking categories and enabled currencies.

A run reads them through `OrganisationLists`, which keeps each list per organisation for
`KEPT_FOR` in the engine (so for the life of the Lambda container): a worker working through a
backlog reads them once every few minutes, not once per batch. What a save checks (the
settings, a product mapping) always reads Xero afresh (`services/chart.py`). A list changed in
Xero within the last `KEPT_FOR` may not be seen by a run; Xero then refuses the document
itself (an archived account, a currency not enabled), nothing is written, and the task waits
with Xero's message until it is looked at again, when the lists are read anew."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from cbxero.domain.xero import Account, Currency, TaxRate, TrackingCategory
from cbxero.ports import Clock, XeroAccounting
from cbxero.services.kept import Kept

KEPT_FOR = timedelta(minutes=5)

T = TypeVar("T")


class ListKeeper:
    """The lists read lately, per organisation and list, kept `KEPT_FOR` on the run's clock."""

    def __init__(self, clock: Clock) -> None:
        self._kept = Kept(KEPT_FOR.total_seconds(), lambda: clock.now().timestamp())

    def get(self, tenant_id: str, name: str, read: Callable[[], T]) -> T:
        if not tenant_id:  # an organisation we cannot tell apart: never kept
            return read()
        return self._kept.get((tenant_id, name), read)


class OrganisationLists:
    """One run's view of its organisation's lists, through the engine's keeper."""

    def __init__(self, xero: XeroAccounting, keeper: ListKeeper) -> None:
        self._xero = xero
        self._keeper = keeper
        self.organisation_name = xero.organisation_name

    def accounts(self) -> list[Account]:
        return self._keeper.get(self._xero.tenant_id, "accounts", self._xero.accounts)

    def tax_rates(self) -> list[TaxRate]:
        return self._keeper.get(self._xero.tenant_id, "tax_rates", self._xero.tax_rates)

    def tracking_categories(self) -> list[TrackingCategory]:
        read = self._xero.tracking_categories
        return self._keeper.get(self._xero.tenant_id, "tracking", read)

    def currencies(self) -> list[Currency]:
        return self._keeper.get(self._xero.tenant_id, "currencies", self._xero.currencies)
