"""Xero over HTTP: the identity service (`identity`) and the accounting API (`accounting`).
Both classes are named here too, so `from cbxero.adapters.xero import XeroClient` keeps working."""

from cbxero.adapters.xero.accounting import XeroClient
from cbxero.adapters.xero.identity import XeroIdentity

__all__ = ["XeroClient", "XeroIdentity"]
