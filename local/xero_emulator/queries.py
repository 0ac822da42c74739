"""How a GET narrows and orders a collection, from the request's query and headers:
`where`, Xero's list parameters, `searchTerm`, `includeArchived`, `order`, paging and
If-Modified-Since."""

from __future__ import annotations

import email.utils
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from flask import abort, request

from local.xero_emulator import where as where_clause
from local.xero_emulator.fields import FIELDS, MODELS
from local.xero_emulator.replies import parse_date, problem

PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

# Xero's list parameters for invoices and credit notes: comma-separated values of a field.
LIST_FILTERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "IDs": lambda row: row.get("InvoiceID") or row.get("CreditNoteID") or row.get("ContactID"),
    "InvoiceNumbers": lambda row: row.get("InvoiceNumber"),
    "ContactIDs": lambda row: (row.get("Contact") or {}).get("ContactID"),
    "Statuses": lambda row: row.get("Status"),
}

# The fields Xero's `searchTerm` looks in (case-insensitive, anywhere in the value).
SEARCHED = ("Name", "FirstName", "LastName", "ContactNumber", "EmailAddress", "CompanyNumber")
SEARCHED_DOCUMENTS = ("InvoiceNumber", "Reference")


def listed(name: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A GET's answer: every step below, in Xero's order."""
    return page(ordered(filtered(modified_since(where(name, rows)))))


def where(name: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of collection `name` the `where` parameter keeps; a clause that cannot be read,
    or that names a field the collection's model lacks, is Xero's 400."""
    clause = request.args.get("where")
    if not clause:
        return rows
    try:
        read = where_clause.parse(clause)
    except where_clause.UnreadableWhere:
        abort(problem(400, "ValidationException", f"The where clause cannot be read: {clause}"))
    unknown = sorted(read.fields - FIELDS[name])
    if unknown:
        message = f"No property or field '{unknown[0]}' exists in type '{MODELS[name]}'"
        abort(problem(400, "ValidationException", message))
    return read.select(rows)


def page(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Xero's `page` (from 1) and `pageSize` (100 by default, at most 1000); without a page,
    everything. Values that are not positive numbers are ignored, as Xero does."""
    number, size = request.args.get("page", ""), request.args.get("pageSize", "")
    if not (number.isascii() and number.isdigit()) or int(number) < 1:
        return rows
    per_page = min(int(size), MAX_PAGE_SIZE) if size.isascii() and size.isdigit() else PAGE_SIZE
    per_page = per_page or PAGE_SIZE
    start = (int(number) - 1) * per_page
    return rows[start : start + per_page]


def modified_since(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    since = http_instant(request.headers.get("If-Modified-Since", ""))
    if since is None:  # absent or not a date: ignored, as HTTP says of a bad If-Modified-Since
        return rows
    cutoff = since.timestamp() * 1000
    return [
        row
        for row in rows
        if int(re.sub(r"\D.*", "", str(row.get("UpdatedDateUTC", "/Date(0")[6:])) or 0) > cutoff
    ]


def filtered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for name, field_of in LIST_FILTERS.items():
        if request.args.get(name):
            wanted = set(request.args[name].split(","))
            rows = [row for row in rows if field_of(row) in wanted]
    term = request.args.get("searchTerm", "").casefold()
    if term:
        rows = [
            row
            for row in rows
            if any(term in str(row.get(f) or "").casefold() for f in SEARCHED + SEARCHED_DOCUMENTS)
        ]
    if request.args.get("includeArchived", "").lower() != "true":
        rows = [row for row in rows if row.get("ContactStatus") != "ARCHIVED"]
    return rows


def ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`order=Field [DESC]`; the emulator orders by Date (then creation) or keeps its own order.
    Rows without a Date (contacts, items) keep their order of creation."""
    order = request.args.get("order", "").split()
    if not order or order[0] != "Date":
        return rows
    newest_first = len(order) > 1 and order[1].upper() == "DESC"

    def key(pair: tuple[int, dict[str, Any]]) -> tuple[date, int]:
        index, row = pair
        return (parse_date(row["Date"]) if "Date" in row else date.min, index)

    keyed = sorted(enumerate(rows), key=key)
    return [row for _, row in (reversed(keyed) if newest_first else keyed)]


def unit_places() -> int:
    """unitdp=4 keeps unit amounts to 4 decimal places; Xero rounds them to 2 otherwise."""
    return 4 if request.args.get("unitdp") == "4" else 2


def http_instant(value: str) -> datetime | None:
    """If-Modified-Since as Xero takes it (ISO 8601, any offset, no offset = UTC) or as an HTTP
    date, as a UTC instant; None when absent or unreadable."""
    text = value.strip()
    if not text or not text.isascii():
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        return None
