"""An organisation's chart of accounts, tax rates and tracking categories, shaped like a real
Xero organisation's: revenue, bank, expense and system accounts, one archived revenue account,
tax rates for revenue and for purchases only, and tracking categories with an archived option
and an archived category. Each organisation holds its own copy (tests archive and add to it),
and what Xero refuses on a line (an unknown or archived account or tax type, a system account,
tracking that is not an active option) is decided here."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any


def _id(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_OID, "/".join(parts)))


def _account(
    code: str,
    name: str,
    kind: str,
    klass: str,
    tax: str,
    *,
    status: str = "ACTIVE",
    system: str = "",
    bank: str = "",
) -> dict[str, Any]:
    account = {
        "AccountID": _id("account", code),
        "Code": code,
        "Name": name,
        "Type": kind,
        "Class": klass,
        "Status": status,
        "TaxType": tax,
        "SystemAccount": system,
        "EnablePaymentsToAccount": kind == "BANK",
        "ShowInExpenseClaims": False,
        "BankAccountType": bank,
        "ReportingCode": klass[:3],
        "HasAttachments": False,
    }
    if kind == "BANK":
        account["BankAccountNumber"] = f"0900{code}"
        account["CurrencyCode"] = "USD"
    return account


def _rate(name: str, tax: str, percent: str, *, revenue: bool, status: str = "ACTIVE") -> Any:
    return {
        "Name": name,
        "TaxType": tax,
        "Status": status,
        "ReportTaxType": "OUTPUT" if revenue else "INPUT",
        "EffectiveRate": float(percent),
        "DisplayTaxRate": float(percent),
        "CanApplyToAssets": not revenue,
        "CanApplyToEquity": not revenue,
        "CanApplyToExpenses": not revenue,
        "CanApplyToLiabilities": not revenue,
        "CanApplyToRevenue": revenue or tax == "NONE",
        "TaxComponents": [{"Name": name, "Rate": float(percent), "IsCompound": False}],
    }


def _category(name: str, options: dict[str, str], *, status: str = "ACTIVE") -> dict[str, Any]:
    category_id = _id("tracking", name)
    return {
        "TrackingCategoryID": category_id,
        "Name": name,
        "Status": status,
        "Options": [
            {
                "TrackingOptionID": _id("tracking", name, option),
                "Name": option,
                "Status": option_status,
                "TrackingCategoryID": category_id,
            }
            for option, option_status in options.items()
        ],
    }


def default_chart() -> dict[str, list[dict[str, Any]]]:
    """A fresh copy of the standard organisation's lists, keyed by their collection."""
    return {
        "Accounts": [
            _account("090", "Business Bank Account", "BANK", "ASSET", "NONE", bank="BANK"),
            _account("091", "Business Savings Account", "BANK", "ASSET", "NONE", bank="BANK"),
            _account("200", "Sales", "REVENUE", "REVENUE", "OUTPUT"),
            _account("210", "Subscription Revenue", "REVENUE", "REVENUE", "OUTPUT"),
            _account("260", "Other Revenue", "OTHERINCOME", "REVENUE", "OUTPUT"),
            _account("270", "Interest Income", "REVENUE", "REVENUE", "NONE"),
            _account(
                "280", "Old Services Revenue", "REVENUE", "REVENUE", "OUTPUT", status="ARCHIVED"
            ),
            _account("400", "Advertising", "EXPENSE", "EXPENSE", "INPUT"),
            _account("610", "Accounts Receivable", "CURRENT", "ASSET", "NONE", system="DEBTORS"),
            _account("820", "Sales Tax", "CURRLIAB", "LIABILITY", "NONE", system="GST"),
            _account("860", "Rounding", "CURRLIAB", "LIABILITY", "NONE", system="ROUNDING"),
        ],
        "TaxRates": [
            _rate("Tax on Sales", "OUTPUT", "15", revenue=True),
            _rate("Tax on Sales (reduced)", "OUTPUT2", "15", revenue=True),
            _rate("Tax Exempt", "NONE", "0", revenue=False),
            _rate("Tax on Purchases", "INPUT", "15", revenue=False),
            _rate("Old Sales Tax", "OUTPUT3", "12.5", revenue=True, status="DELETED"),
        ],
        "TrackingCategories": [
            _category("Region", {"North": "ACTIVE", "South": "ACTIVE", "West": "ARCHIVED"}),
            _category("Channel", {"Marketplace": "ACTIVE", "Direct": "ACTIVE"}),
            _category("Old Projects", {"Alpha": "ACTIVE"}, status="ARCHIVED"),
        ],
    }


def tax_rate(chart: dict[str, list[dict[str, Any]]], tax_type: str) -> Decimal:
    """The effective rate of a tax type (0.15 for 15%); an unknown type taxes nothing."""
    for rate in chart["TaxRates"]:
        if rate["TaxType"] == tax_type:
            return Decimal(str(rate["EffectiveRate"])) / 100
    return Decimal(0)


def line_errors(chart: dict[str, list[dict[str, Any]]], n: int, line: dict[str, Any]) -> list[str]:
    """What Xero refuses in a sales line's account, tax type and tracking."""
    errors = []
    code = line.get("AccountCode")
    if isinstance(code, str) and code:
        account = next((a for a in chart["Accounts"] if a["Code"] == code), None)
        if account is None or account["Status"] != "ACTIVE" or account["SystemAccount"]:
            errors.append(f"Account code '{code}' is not a valid code for this document.")
    tax = line.get("TaxType")
    if isinstance(tax, str) and tax:
        rate = next((r for r in chart["TaxRates"] if r["TaxType"] == tax), None)
        if rate is None or rate["Status"] != "ACTIVE" or not rate["CanApplyToRevenue"]:
            errors.append(
                f"The TaxType code '{tax}' does not exist or cannot be used with this type "
                "of transaction."
            )
    tracking = line.get("Tracking") or []
    if not isinstance(tracking, list) or len(tracking) > 2:
        return [*errors, f"Line {n}: a line can have at most 2 tracking categories"]
    for choice in tracking:
        category = next(
            (
                c
                for c in chart["TrackingCategories"]
                if isinstance(choice, dict) and c["Name"] == choice.get("Name")
            ),
            None,
        )
        offered = (category or {}).get("Options", [])
        options = {o["Name"] for o in offered if o["Status"] == "ACTIVE"}
        active = category is not None and category["Status"] == "ACTIVE"
        if not active or choice.get("Option") not in options:
            errors.append(f"Line {n}: the TrackingOption is not valid for this organisation")
    return errors


def tracked(chart: dict[str, list[dict[str, Any]]], line: dict[str, Any]) -> list[dict[str, Any]]:
    """A line's tracking as Xero stores it: each choice with its category's and option's ids."""
    stored = []
    for choice in line.get("Tracking") or []:
        category = next(c for c in chart["TrackingCategories"] if c["Name"] == choice["Name"])
        option = next(o for o in category["Options"] if o["Name"] == choice["Option"])
        stored.append(
            {
                "TrackingCategoryID": category["TrackingCategoryID"],
                "TrackingOptionID": option["TrackingOptionID"],
                "Name": category["Name"],
                "Option": option["Name"],
            }
        )
    return stored
