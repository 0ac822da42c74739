"""Xero accounting documents as the integration builds and reads them.

Field aliases are Xero's JSON names, so the adapter sends and parses these models as they are.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer
from pydantic.alias_generators import to_pascal


def _xero_date(value: object) -> object:
    """Xero answers dates as "/Date(1764028800000+0000)/"; it accepts ISO dates in requests."""
    if isinstance(value, str) and value.startswith("/Date("):
        millis = int(value[6:].split("+")[0].split("-")[0].rstrip(")/"))
        return dt.datetime.fromtimestamp(millis / 1000, tz=dt.UTC).date()
    return value


XeroDate = Annotated[dt.date, BeforeValidator(_xero_date)]


def _xero_instant(value: object) -> object:
    """Xero's UpdatedDateUTC: "/Date(1764028800000+0000)/", milliseconds since 1970 in UTC."""
    if isinstance(value, str) and value.startswith("/Date("):
        millis = int(value[6:].split("+")[0].split("-")[0].rstrip(")/"))
        return dt.datetime.fromtimestamp(millis / 1000, tz=dt.UTC)
    return value


XeroInstant = Annotated[dt.datetime, BeforeValidator(_xero_instant)]
# Xero's JSON wants numbers. Amounts have at most 4 decimal places, which a float's shortest
# repr (what json.dumps writes) reproduces exactly; inside the product they stay Decimal.
XeroNumber = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
# Documents per PUT: Xero's advice for reliable batches.
DOCUMENTS_PER_CALL = 50


class XeroModel(BaseModel):
    # defer_build: a schema is built when first used, so a cold start pays only for the
    # documents its invocation touches.
    model_config = ConfigDict(
        alias_generator=to_pascal,
        populate_by_name=True,
        extra="ignore",
        frozen=True,
        defer_build=True,
    )

    # Figures Xero computes; its spec marks them read-only, so they are never sent.
    READ_ONLY: ClassVar[frozenset[str]] = frozenset(
        {
            "sub_total",
            "total_tax",
            "total",
            "amount_due",
            "amount_paid",
            "amount_credited",
            "remaining_credit",
        }
    )

    def to_xero(self) -> dict[str, Any]:
        return self.model_dump(
            mode="json", by_alias=True, exclude_none=True, exclude=set(self.READ_ONLY)
        )


class Contact(XeroModel):
    contact_id: str | None = Field(None, alias="ContactID")
    contact_number: str | None = None
    name: str
    email_address: str | None = None
    tax_number: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    # Xero sets these; ACTIVE, ARCHIVED or GDPRREQUEST, and the survivor of a merge.
    contact_status: str | None = Field(None, exclude=True)
    merged_to_contact_id: str | None = Field(None, alias="MergedToContactID", exclude=True)
    updated_date_utc: XeroInstant | None = Field(None, alias="UpdatedDateUTC", exclude=True)

    @property
    def archived(self) -> bool:
        return self.contact_status == "ARCHIVED"


class ItemSalesDetails(XeroModel):
    unit_price: XeroNumber | None = None
    account_code: str | None = None
    tax_type: str | None = None


class Item(XeroModel):
    item_id: str | None = Field(None, alias="ItemID")
    code: str
    name: str | None = None
    description: str | None = None
    sales_details: ItemSalesDetails | None = None
    # Xero's default is true; false: not on sales documents (its sales details are nulled).
    is_sold: bool | None = None


class LineItemTracking(XeroModel):
    """A line's tracking: a category and one of its options, by name (at most two a line)."""

    name: str
    option: str


class LineItem(XeroModel):
    line_item_id: str | None = Field(None, alias="LineItemID")
    description: str
    quantity: XeroNumber
    unit_amount: XeroNumber
    item_code: str | None = None
    account_code: str | None = None
    tax_type: str | None = None
    discount_amount: XeroNumber | None = None
    line_amount: XeroNumber | None = None
    # Xero computes a line's tax from its tax rate; read back, never sent (nothing overrides it).
    tax_amount: XeroNumber | None = Field(None, exclude=True)
    tracking: tuple[LineItemTracking, ...] | None = None


class InvoiceType(StrEnum):
    SALES = "ACCREC"


class ContactRef(XeroModel):
    contact_id: str = Field(alias="ContactID")


class ValidationError(XeroModel):
    message: str


class InvoiceStatus(StrEnum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    AUTHORISED = "AUTHORISED"
    PAID = "PAID"
    VOIDED = "VOIDED"
    DELETED = "DELETED"


class Invoice(XeroModel):
    """A sales invoice: what we send (no id yet) and what Xero returns (id, number, totals)."""

    invoice_id: str | None = Field(None, alias="InvoiceID")
    type: InvoiceType = InvoiceType.SALES
    contact: ContactRef
    line_items: tuple[LineItem, ...]
    date: XeroDate | None = None
    due_date: XeroDate | None = None
    line_amount_types: str = "Exclusive"
    invoice_number: str | None = None
    reference: str | None = None
    status: str = "DRAFT"
    currency_code: str | None = None
    sub_total: XeroNumber | None = None
    total_tax: XeroNumber | None = None
    total: XeroNumber | None = None
    amount_due: XeroNumber | None = None
    amount_paid: XeroNumber | None = None
    amount_credited: XeroNumber | None = None
    updated_date_utc: XeroInstant | None = Field(None, alias="UpdatedDateUTC", exclude=True)
    has_errors: bool = Field(False, exclude=True)
    validation_errors: tuple[ValidationError, ...] = Field((), exclude=True)

    @property
    def editable(self) -> bool:
        """Whether Xero still lets its lines change: draft, submitted, or authorised with
        nothing paid or credited."""
        if self.status in (InvoiceStatus.DRAFT, InvoiceStatus.SUBMITTED):
            return True
        untouched = not (self.amount_paid or 0) and not (self.amount_credited or 0)
        return self.status == InvoiceStatus.AUTHORISED and untouched


class InvoiceRef(XeroModel):
    invoice_id: str = Field(alias="InvoiceID")


class CreditNoteRef(XeroModel):
    credit_note_id: str = Field(alias="CreditNoteID")


class Allocation(XeroModel):
    """Credit from a credit note applied to an invoice."""

    allocation_id: str | None = Field(None, alias="AllocationID")
    invoice: InvoiceRef
    amount: XeroNumber
    date: XeroDate
    has_errors: bool = Field(False, exclude=True)
    validation_errors: tuple[ValidationError, ...] = Field((), exclude=True)


class AllocationSeen(XeroModel):
    """An allocation as Xero lists it on its credit note."""

    allocation_id: str | None = Field(None, alias="AllocationID")
    amount: XeroNumber | None = None


class CreditNoteType(StrEnum):
    SALES = "ACCRECCREDIT"


class CreditNote(XeroModel):
    credit_note_id: str | None = Field(None, alias="CreditNoteID")
    type: CreditNoteType = CreditNoteType.SALES
    contact: ContactRef
    line_items: tuple[LineItem, ...]
    date: XeroDate | None = None
    line_amount_types: str = "Exclusive"
    credit_note_number: str | None = None
    reference: str | None = None
    status: str = "DRAFT"
    currency_code: str | None = None
    sub_total: XeroNumber | None = None
    total: XeroNumber | None = None
    remaining_credit: XeroNumber | None = None
    updated_date_utc: XeroInstant | None = Field(None, alias="UpdatedDateUTC", exclude=True)
    allocations: tuple[AllocationSeen, ...] = ()
    has_errors: bool = Field(False, exclude=True)
    validation_errors: tuple[ValidationError, ...] = Field((), exclude=True)


class Account(XeroModel):
    account_id: str | None = Field(None, alias="AccountID")
    code: str | None = None
    name: str
    type: str | None = None
    tax_type: str | None = None
    status: str | None = None
    # Xero's class (REVENUE, ASSET, ...), the system role of accounts Xero keeps itself
    # (DEBTORS, ROUNDING, ...; empty for the others) and a bank account's kind.
    class_: str | None = Field(None, alias="Class")
    system_account: str | None = None
    bank_account_type: str | None = None
    enable_payments_to_account: bool | None = None
    currency_code: str | None = None


class TaxRate(XeroModel):
    name: str
    tax_type: str | None = None
    effective_rate: XeroNumber | None = None
    status: str | None = None
    can_apply_to_revenue: bool | None = None


class TrackingOption(XeroModel):
    tracking_option_id: str | None = Field(None, alias="TrackingOptionID")
    name: str
    status: str | None = None


class TrackingCategory(XeroModel):
    tracking_category_id: str | None = Field(None, alias="TrackingCategoryID")
    name: str
    status: str | None = None
    options: tuple[TrackingOption, ...] = ()


class Currency(XeroModel):
    """A currency the organisation has enabled (its base currency among them)."""

    code: str
    description: str | None = None


class Organisation(XeroModel):
    organisation_id: str | None = Field(None, alias="OrganisationID")
    name: str
    base_currency: str | None = None


class AccountRef(XeroModel):
    code: str | None = None
    account_id: str | None = Field(None, alias="AccountID")


class Payment(XeroModel):
    """A payment against a sales invoice, from a bank account: what we send and what Xero
    answers (its id, or the errors of a payment it refused)."""

    payment_id: str | None = Field(None, alias="PaymentID")
    invoice: InvoiceRef
    account: AccountRef
    date: XeroDate
    amount: XeroNumber
    reference: str | None = None
    status: str | None = Field(None, exclude=True)  # AUTHORISED, or DELETED when removed
    has_validation_errors: bool = Field(False, exclude=True)
    validation_errors: tuple[ValidationError, ...] = Field((), exclude=True)
