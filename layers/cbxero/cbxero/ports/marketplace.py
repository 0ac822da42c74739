"""The marketplace (CloudBlue SimpleAPI behind its adapter)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from cbxero.domain.marketplace import MarketplaceCustomer, MarketplaceOrder, MarketplaceProduct


class Marketplace(ABC):
    """The marketplace, as the integration reads it: orders, one reseller's customers, products.
    An adapter translates the marketplace's own terms (line types, account model) into these."""

    @abstractmethod
    def orders(self, customer_id: str, created_from: datetime) -> list[MarketplaceOrder]: ...

    @abstractmethod
    def order(self, order_id: str) -> MarketplaceOrder: ...

    @abstractmethod
    def open_billing(self, customer_id: str) -> list[MarketplaceOrder]:
        """Each active subscription's open billing: its newest completed order that charged it
        (cbxero.domain.history.open_billing), whatever its age."""

    @abstractmethod
    def customer(self, reseller_id: str, customer_id: str) -> MarketplaceCustomer:
        """The reseller's customer; NotFound alike for a missing one and another reseller's."""

    @abstractmethod
    def customers(self, reseller_id: str) -> list[MarketplaceCustomer]:
        """The reseller's customers."""

    @abstractmethod
    def products(self) -> list[MarketplaceProduct]: ...
