"""Payments against sales invoices, with Xero's rules: only an AUTHORISED invoice takes a
payment, never more than its amount due, and only from a bank account (or an account with
payments enabled). A payment keeps the invoice's AmountPaid, AmountDue, Status (PAID once
nothing is due) and UpdatedDateUTC in step, and is listed on the invoice. No HTTP here."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from local.xero_emulator.documents import REFERENCE_DATA, _a_date, _number
from local.xero_emulator.replies import money, ms_date, ms_time, parse_date, with_errors
from local.xero_emulator.state import Organisation

# Xero's own messages for the refusals it gives most.
NOT_AUTHORISED = "Payments can only be made against Authorised documents"
OVER_DUE = "Payment amount exceeds the amount outstanding on this document"
NOT_A_BANK = "Account type is invalid for making a payment to/from"


def shape_errors(raw: dict[str, Any]) -> list[str]:
    """What Xero refuses in a payment's fields before any rule."""
    errors = []
    invoice = raw.get("Invoice")
    if not isinstance(invoice, dict) or not isinstance(invoice.get("InvoiceID", ""), str):
        errors.append("Invoice must be an object with an InvoiceID or an InvoiceNumber")
    account = raw.get("Account")
    if not isinstance(account, dict) or not (account.get("Code") or account.get("AccountID")):
        errors.append("You must specify and Account code or Account ID for the payment")
    elif not all(isinstance(account.get(k, ""), str) for k in ("Code", "AccountID")):
        errors.append("Account Code and AccountID must be strings")
    if not _number(raw.get("Amount", "none")):
        errors.append("Amount must be a number")
    if raw.get("Date") is not None and not _a_date(raw["Date"]):
        errors.append("Date is not a date")
    if not isinstance(raw.get("Reference", ""), str):
        errors.append("Reference must be a string")
    return errors


def _account(raw: dict[str, Any]) -> dict[str, Any] | None:
    wanted = raw["Account"]
    return next(
        (
            account
            for account in REFERENCE_DATA["Accounts"]
            if (wanted.get("AccountID") and account["AccountID"] == wanted["AccountID"])
            or (wanted.get("Code") and account["Code"] == wanted["Code"])
        ),
        None,
    )


def _invoice(org: Organisation, raw: dict[str, Any]) -> dict[str, Any] | None:
    ref = raw["Invoice"]
    number = ref.get("InvoiceNumber") or raw.get("InvoiceNumber")
    if ref.get("InvoiceID"):
        return org.invoices.get(ref["InvoiceID"])
    return next((i for i in org.invoices.values() if number and i["InvoiceNumber"] == number), None)


def new_payment(org: Organisation, raw: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The payment made and applied to its invoice; or the raw payment with Xero's errors."""
    errors = shape_errors(raw)
    invoice = account = None
    if not errors:
        invoice, account = _invoice(org, raw), _account(raw)
        amount = Decimal(str(raw["Amount"]))
        if invoice is None:
            errors.append("Invoice could not be found")
        elif invoice["Status"] != "AUTHORISED":
            errors.append(NOT_AUTHORISED)
        elif amount <= 0:
            errors.append("Payment amount must be greater than zero")
        elif amount > Decimal(str(invoice["AmountDue"])):
            errors.append(OVER_DUE)
        if account is None:
            errors.append("Account could not be found")
        elif account["Type"] != "BANK" and not account.get("EnablePaymentsToAccount"):
            errors.append(NOT_A_BANK)
    if errors or invoice is None or account is None:
        failed = with_errors(dict(raw), errors)
        failed.update(HasValidationErrors=True)
        return failed
    day = parse_date(raw["Date"]) if raw.get("Date") else now.date()
    invoice["AmountPaid"] = money(Decimal(str(invoice["AmountPaid"])) + amount)
    invoice["AmountDue"] = money(Decimal(str(invoice["AmountDue"])) - amount)
    if invoice["AmountDue"] == 0:
        invoice.update(Status="PAID", FullyPaidOnDate=ms_date(day))
    invoice["UpdatedDateUTC"] = ms_time(now)
    payment = {
        "PaymentID": str(uuid.uuid4()),
        "Date": ms_date(day),
        "Amount": money(amount),
        "BankAmount": money(amount),
        "CurrencyRate": 1.0,
        "Reference": raw.get("Reference", ""),
        "IsReconciled": False,
        "Status": "AUTHORISED",
        "PaymentType": "ACCRECPAYMENT",
        "UpdatedDateUTC": ms_time(now),
        "HasAccount": True,
        "HasValidationErrors": False,
        "Account": {k: account[k] for k in ("AccountID", "Code", "Name")},
        "Invoice": {
            k: invoice[k]
            for k in ("Type", "InvoiceID", "InvoiceNumber", "Reference", "CurrencyCode")
        }
        | {"Contact": {k: invoice["Contact"][k] for k in ("ContactID", "Name")}},
    }
    org.payments[payment["PaymentID"]] = payment
    shown = {k: payment[k] for k in ("PaymentID", "Date", "Amount", "Reference", "CurrencyRate")}
    invoice.setdefault("Payments", []).append(shown)
    return payment
