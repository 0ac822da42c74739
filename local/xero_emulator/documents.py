"""The accounting documents' rules: what Xero refuses in a document, and how it stores and
prices contacts, items, invoices, credit notes and allocations. No HTTP here: `accounting`
reads the request and answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from local.xero_emulator.chart import default_chart, line_errors, tax_rate, tracked
from local.xero_emulator.replies import CENT, money, ms_date, ms_time, parse_date, with_errors
from local.xero_emulator.state import Organisation

# The lists served as they are stored, per organisation (`Organisation.chart`).
REFERENCE_DATA: dict[str, list[dict[str, Any]]] = default_chart()
MOST = Decimal(10) ** 12
INVOICE_STATUSES = {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED", "VOIDED", "PAID"}
LINE_AMOUNT_TYPES = {"Exclusive", "Inclusive", "NoTax"}


def shape_errors(name: str, raw: dict[str, Any]) -> list[str]:
    """What Xero refuses in a document's fields before any rule: wrong types and values."""
    errors = []
    if name in ("Invoices", "CreditNotes"):
        if not isinstance(raw.get("Contact", {}), dict):
            errors.append("Contact must be an object with a ContactID")
        lines = raw.get("LineItems", [])
        if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
            errors.append("LineItems must be a list of line items")
            lines = []
        for n, line in enumerate(lines, 1):
            for key in ("Quantity", "UnitAmount", "DiscountAmount"):
                if key in line and not _number(line[key]):
                    errors.append(f"Line {n}: {key} must be a number")
            if not isinstance(line.get("TaxType", ""), str):
                errors.append(f"Line {n}: TaxType must be a string")
        for key in ("Date", "DueDate"):
            if raw.get(key) is not None and not _a_date(raw[key]):
                errors.append(f"{key} is not a date")
        if raw.get("LineAmountTypes", "Exclusive") not in LINE_AMOUNT_TYPES:
            errors.append("LineAmountTypes must be Exclusive, Inclusive or NoTax")
        if raw.get("Status", "DRAFT") not in INVOICE_STATUSES:
            errors.append("Status is not one Xero knows")
        for key in ("Reference", "CurrencyCode", "InvoiceNumber", "CreditNoteNumber", "Type"):
            if key in raw and not isinstance(raw[key], str):
                errors.append(f"{key} must be a string")
    if name == "Allocations":
        if not _number(raw.get("Amount", 0)):
            errors.append("Amount must be a number")
        if not isinstance(raw.get("Invoice", {}), dict):
            errors.append("Invoice must be an object with an InvoiceID")
    return errors


def _number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return False
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return False
    return number.is_finite() and abs(number) < MOST  # Xero's amounts fit in 13 digits


def _a_date(value: Any) -> bool:
    try:
        parse_date(value)
    except (TypeError, ValueError, OverflowError, OSError):
        return False
    return True


CURRENCY_NAMES = {
    "USD": "United States Dollar",
    "EUR": "Euro",
    "GBP": "British Pound",
    "AUD": "Australian Dollar",
    "NZD": "New Zealand Dollar",
}


def currency_name(code: str) -> str:
    return CURRENCY_NAMES.get(code, code)


def _document_errors(org: Organisation, raw: dict[str, Any]) -> list[str]:
    errors = []
    currency = raw.get("CurrencyCode") or org.currency
    if currency != org.currency and currency not in org.currencies:
        errors.append(f"Organisation is not subscribed to currency {currency}")
    errors += _contact_errors(org, raw.get("Contact"))
    if not raw.get("LineItems"):
        errors.append("At least one line item is required")
    errors += _item_errors(org, raw.get("LineItems"))
    for n, line in enumerate(raw.get("LineItems") or [], 1):
        errors.extend(line_errors(org.chart, n, line))
    return errors


def _contact_errors(org: Organisation, contact: Any) -> list[str]:
    """A document's contact must exist, and not be archived (a merged one is archived too)."""
    found = org.contacts.get(str((contact or {}).get("ContactID", "")))
    if found is None:
        return ["A valid contact is required"]
    if found.get("ContactStatus") == "ARCHIVED":
        return ["Unable to assign an Archived contact."]
    return []


def _item_errors(org: Organisation, lines: Any) -> list[str]:
    """A line's ItemCode must name an item of the organisation (as Xero refuses, by code)."""
    codes = {item.get("Code") for item in org.items.values()}
    return [
        f"Item code '{line['ItemCode']}' is not valid."
        for line in (lines if isinstance(lines, list) else [])
        if isinstance(line, dict) and line.get("ItemCode") and line["ItemCode"] not in codes
    ]


def new_contact(org: Organisation, contact: dict[str, Any]) -> dict[str, Any]:
    errors = []
    names = {c["Name"].lower() for c in org.contacts.values()}
    if not contact.get("Name") or not isinstance(contact["Name"], str):
        errors.append("Contact name is required")
    elif contact["Name"].lower() in names:
        errors.append("The contact name is already assigned to another contact.")
    if not errors:
        contact.update(ContactID=str(uuid.uuid4()), ContactStatus="ACTIVE")
        org.contacts[contact["ContactID"]] = contact
    return with_errors(contact, errors)


def new_item(org: Organisation, item: dict[str, Any]) -> dict[str, Any]:
    errors = []
    if not isinstance(item.get("Code"), str) or not 1 <= len(item["Code"]) <= 30:
        errors.append("Item code must be 1 to 30 characters")
    elif any(i["Code"] == item["Code"] for i in org.items.values()):
        errors.append(f"Item code '{item['Code']}' already exists")
    if not errors:
        item.update(ItemID=str(uuid.uuid4()), IsSold=True)
        org.items[item["ItemID"]] = item
    return with_errors(item, errors)


def new_invoice(
    org: Organisation, raw: dict[str, Any], places: int, now: datetime
) -> dict[str, Any]:
    number = raw.get("InvoiceNumber")
    taken = number and any(
        i.get("InvoiceNumber") == number and i["Type"] == "ACCREC" for i in org.invoices.values()
    )
    errors = _document_errors(org, raw) + (["Invoice # must be unique."] if taken else [])
    if errors:
        return with_errors(dict(raw), errors)
    invoice = priced(org, raw, places, now)
    if not number:
        number = f"INV-{org.next_number:04d}"
        org.next_number += 1
    due = parse_date(raw["DueDate"]) if raw.get("DueDate") else now.date()
    invoice.update(
        Type=raw.get("Type", "ACCREC"),
        InvoiceID=str(uuid.uuid4()),
        InvoiceNumber=number,
        DueDate=ms_date(due),
        DueDateString=f"{due.isoformat()}T00:00:00",
        AmountDue=invoice["Total"],
        AmountPaid=0.0,
        AmountCredited=0.0,
    )
    org.invoices[invoice["InvoiceID"]] = invoice
    return invoice


def new_credit_note(
    org: Organisation, raw: dict[str, Any], places: int, now: datetime
) -> dict[str, Any]:
    errors = _document_errors(org, raw)
    if errors:
        return with_errors(dict(raw), errors)
    note = priced(org, raw, places, now)
    number = raw.get("CreditNoteNumber") or f"CN-{len(org.credit_notes) + 1:04d}"
    note.update(
        Type=raw.get("Type", "ACCRECCREDIT"),
        CreditNoteID=str(uuid.uuid4()),
        CreditNoteNumber=number,
        RemainingCredit=note["Total"],
        Allocations=[],
    )
    org.credit_notes[note["CreditNoteID"]] = note
    return note


def priced(org: Organisation, raw: dict[str, Any], places: int, now: datetime) -> dict[str, Any]:
    """Lines and totals as Xero computes them: unit amounts to `places`, money to cents."""
    unit = Decimal(1).scaleb(-places)
    amount_types = raw.get("LineAmountTypes", "Exclusive")
    lines, sub_total, total_tax = [], Decimal(0), Decimal(0)
    for line in raw["LineItems"]:
        quantity = Decimal(str(line.get("Quantity", 1)))
        unit_amount = Decimal(str(line.get("UnitAmount", 0))).quantize(unit, ROUND_HALF_UP)
        discount = Decimal(str(line.get("DiscountAmount", 0)))
        line_amount = (quantity * unit_amount).quantize(CENT, ROUND_HALF_UP) - discount
        rate = tax_rate(org.chart, line.get("TaxType", "NONE"))
        if amount_types == "Inclusive":
            tax = (line_amount - line_amount / (1 + rate)).quantize(CENT, ROUND_HALF_UP)
            sub_total += line_amount - tax
        else:
            taxed = amount_types == "Exclusive"
            tax = (line_amount * rate).quantize(CENT, ROUND_HALF_UP) if taxed else Decimal(0)
            sub_total += line_amount
        total_tax += tax
        lines.append(
            {
                **line,
                "LineItemID": line.get("LineItemID") or str(uuid.uuid4()),  # kept on update
                "Quantity": float(quantity),
                "UnitAmount": float(unit_amount),
                "LineAmount": money(line_amount),
                "TaxAmount": money(tax),
                **({"Tracking": tracked(org.chart, line)} if line.get("Tracking") else {}),
            }
        )
    day = parse_date(raw["Date"]) if raw.get("Date") else now.date()
    contact_id = str(raw["Contact"]["ContactID"])
    return {
        "Reference": raw.get("Reference", ""),
        "Contact": org.contacts[contact_id],
        "Date": ms_date(day),
        "DateString": f"{day.isoformat()}T00:00:00",
        "Status": raw.get("Status", "DRAFT"),
        "LineAmountTypes": amount_types,
        "LineItems": lines,
        "SubTotal": money(sub_total),
        "TotalTax": money(total_tax),
        "Total": money(sub_total + total_tax),
        "CurrencyCode": raw.get("CurrencyCode", org.currency),
        "UpdatedDateUTC": ms_time(now),
        "HasErrors": False,
    }


def update_errors(org: Organisation, current: dict[str, Any], raw: dict[str, Any]) -> list[str]:
    """Why Xero refuses to change this invoice so: drafts, submitted and untouched authorised
    invoices may change."""
    errors = shape_errors("Invoices", raw)
    contact = raw.get("Contact")
    if isinstance(contact, dict):
        errors += _contact_errors(org, contact)
    if not errors:
        errors += _item_errors(org, raw.get("LineItems"))
        for n, line in enumerate(raw.get("LineItems") or [], 1):
            errors.extend(line_errors(org.chart, n, line))
    if errors:
        pass
    elif current["Status"] not in ("DRAFT", "SUBMITTED", "AUTHORISED"):
        errors.append(f"Invoice not of valid status for modification: {current['Status']}")
    elif current["AmountPaid"] or current["AmountCredited"]:
        errors.append(
            "This document cannot be edited as it has a payment or credit note allocated to it."
        )
    return errors


def allocated(
    org: Organisation, note: dict[str, Any], raw: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """One allocation of the credit note to an authorised invoice's balance, applied; or the
    raw allocation with the errors Xero gives."""
    errors = shape_errors("Allocations", raw)
    invoice_ref = raw.get("Invoice")
    invoice_id = invoice_ref.get("InvoiceID") if isinstance(invoice_ref, dict) else None
    invoice = org.invoices.get(str(invoice_id)) if not errors else None
    amount = Decimal(str(raw.get("Amount", 0))) if not errors else Decimal(0)
    if errors:
        pass
    elif invoice is None or invoice["Status"] != "AUTHORISED":
        errors.append("Allocations need an authorised invoice")
    elif note["Status"] != "AUTHORISED":
        errors.append("Only an authorised credit note can be allocated")
    elif amount <= 0 or amount > Decimal(str(note["RemainingCredit"])):
        errors.append("Amount must be more than zero and no more than the credit left")
    elif amount > Decimal(str(invoice["AmountDue"])):
        errors.append("Amount can not be more than the amount due on the invoice")
    if errors or invoice is None:
        return with_errors(dict(raw), errors)
    invoice["AmountCredited"] = money(Decimal(str(invoice["AmountCredited"])) + amount)
    invoice["AmountDue"] = money(Decimal(str(invoice["AmountDue"])) - amount)
    if invoice["AmountDue"] == 0:
        invoice["Status"] = "PAID"
    note["RemainingCredit"] = money(Decimal(str(note["RemainingCredit"])) - amount)
    if note["RemainingCredit"] == 0:
        note["Status"] = "PAID"
    allocation = {
        "AllocationID": str(uuid.uuid4()),
        "Amount": money(amount),
        "Date": ms_date(now.date()),
        "Invoice": {"InvoiceID": invoice["InvoiceID"]},
        "CreditNote": {"CreditNoteID": note["CreditNoteID"]},
    }
    note["Allocations"].append(allocation)
    return allocation
