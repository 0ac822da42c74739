"""How one marketplace order becomes Xero documents under a reseller's settings.

An order's fee lines split three ways: charges (an invoice), refunds (a credit note, when
downgrades are refunded) and refunds that only change quantities (recorded, no money moves).
Lines that are payments rather than fees are left out. Money stays Decimal throughout.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from cbxero.domain.chart import line_choices, on_line
from cbxero.domain.marketplace import LineKind, MarketplaceOrder, OrderLine
from cbxero.domain.model import LineEdit, ProductMapping
from cbxero.domain.settings import (
    DescriptionSource,
    DowngradeMode,
    DueDateRule,
    DueDateTerms,
    InvoiceNumberSource,
    LineAmountTypes,
    PriceSource,
    Settings,
)
from cbxero.domain.xero import ContactRef, CreditNote, Invoice, Item, LineItem

UNIT_PLACES = Decimal("0.0001")  # Xero keeps unit amounts to 4 places with unitdp=4
CENT = Decimal("0.01")

# A cancellation fee's item comes from the fee mapping, stored as a product mapping under this key.
CANCELLATION_FEE = "fee:cancellation"


class PlanRefused(Exception):
    """The order cannot become Xero documents as it stands: the task waits for the reseller,
    told why by the message."""


class UnmappedProducts(PlanRefused):
    """Some order lines name products (or fees) without a Xero item; the task needs the reseller."""

    def __init__(self, mpns: list[str]) -> None:
        named = [
            "cancellation fee (fees mapping)" if mpn == CANCELLATION_FEE else mpn for mpn in mpns
        ]
        super().__init__("no Xero item mapped for product(s): " + ", ".join(named))
        self.mpns = mpns


class ItemPriceMissing(PlanRefused):
    """Prices come from Xero, but the mapped item has no sales price."""

    def __init__(self, item_code: str) -> None:
        super().__init__(f"Xero item {item_code} has no sales unit price")
        self.item_code = item_code


class DueDateOutOfRange(PlanRefused):
    """The order's date and the payment terms give a due date past the last day a date can be
    (an order dated at the end of time, 9999-12-31): no invoice can carry it."""

    def __init__(self, day: date) -> None:
        super().__init__(
            f"the order's date ({day.isoformat()}) and the payment terms give no due date "
            "before the year 10000: check the order's date in the marketplace"
        )


def due_date(invoice_date: date, terms: DueDateTerms) -> date:
    """The due date Xero would compute for these payment terms."""
    if terms.rule is DueDateRule.DAYS_AFTER_INVOICE_DATE:
        return invoice_date + timedelta(days=terms.days)
    month_end = invoice_date.replace(
        day=calendar.monthrange(invoice_date.year, invoice_date.month)[1]
    )
    if terms.rule is DueDateRule.DAYS_AFTER_END_OF_INVOICE_MONTH:
        return month_end + timedelta(days=terms.days)
    following = month_end + timedelta(days=1)
    last_day = calendar.monthrange(following.year, following.month)[1]
    return following.replace(day=min(max(terms.days, 1), last_day))


def reference_entries(reference: str | None) -> list[str]:
    """The order numbers a Reference names: "SO1", or "SO1, SO2" on an invoice that collects
    several orders' lines."""
    return [part.strip() for part in (reference or "").split(",") if part.strip()]


REFERENCE_LIMIT = 255  # Xero's longest Reference
DESCRIPTION_LIMIT = 4000  # Xero's longest line description
_MARK = re.compile(r" \(order ([^()]+)\)$")


def with_reference(reference: str | None, order_number: str) -> str | None:
    """An invoice's Reference naming one more order ("SO1, SO2"), or None when Xero's 255
    characters cannot take the number whole: a Reference is never cut."""
    if order_number in reference_entries(reference):
        return reference or order_number
    joined = f"{reference}, {order_number}" if reference else order_number
    return joined if len(joined) <= REFERENCE_LIMIT else None


def marked(line: LineItem, order_number: str) -> LineItem:
    """A line that says which order it belongs to, at the end of its description:
    "Teams Essentials - recurring fee (order SO123456)". Lines that share an invoice carry it,
    so that a retry can tell an order's lines from the others' (a Reference can fill up)."""
    mark = f" (order {order_number})"
    if order_of(line) == order_number:
        return line
    text = line.description[: DESCRIPTION_LIMIT - len(mark)]
    return line.model_copy(update={"description": text + mark})


def order_of(line: LineItem) -> str | None:
    """The order number a line's mark names, if it has one."""
    found = _MARK.search(line.description or "")
    return found.group(1) if found else None


def lines_of_order(lines: tuple[LineItem, ...], order_number: str) -> tuple[LineItem, ...]:
    """The lines an order put on an invoice (by their mark)."""
    return tuple(line for line in lines if order_of(line) == order_number)


def xero_lines_total(lines: tuple[LineItem, ...]) -> Decimal:
    """What Xero says these lines come to (its LineAmount: before tax with tax-exclusive
    amounts, after tax with tax-inclusive ones, like `compared_figure`)."""
    return sum(
        (line.line_amount if line.line_amount is not None else line_amount(line) for line in lines),
        Decimal(0),
    ).quantize(CENT, ROUND_HALF_UP)


def mapping_key(line: OrderLine) -> str:
    """The mapping a fee line goes through: its fee's, or its product's."""
    return CANCELLATION_FEE if line.kind is LineKind.CANCELLATION_FEE else line.mpn


def is_refund(line: OrderLine) -> bool:
    return line.kind is LineKind.REFUND


def is_fee(line: OrderLine) -> bool:
    """Whether the line is a fee (invoiced or credited), not money moving."""
    return line.kind is not LineKind.PAYMENT


def line_amount(line: LineItem) -> Decimal:
    """What Xero makes of a line: quantity times unit amount, to the cent, less its discount."""
    gross = (line.quantity * line.unit_amount).quantize(CENT, ROUND_HALF_UP)
    return gross - (line.discount_amount or Decimal(0))


def lines_total(lines: tuple[LineItem, ...]) -> Decimal:
    return sum((line_amount(line) for line in lines), Decimal(0))


@dataclass(frozen=True)
class LineSource:
    """What the marketplace says of one planned line: its name, its amount (extended price less
    discount) and its tax, to hold Xero's line amount and tax to (`domain/rounding.py`)."""

    name: str
    amount: Decimal
    tax: Decimal
    unit_price: Decimal | None = None  # as the marketplace gave it (any number of places)
    order_line: int | None = None  # the order line's index (a LineEdit's index names it)


@dataclass(frozen=True)
class DocumentPlan:
    """The Xero documents one order should make, and what they should come to."""

    order_number: str
    currency: str
    day: date
    charges: tuple[LineItem, ...]
    refunds: tuple[LineItem, ...]
    quantity_changes: tuple[str, ...]
    # Invoice less credit note, to the cent, as the order says it should be; None when prices
    # come from Xero or were edited by hand, so that there is nothing to hold Xero to.
    expected: Decimal | None
    # The marketplace's own figures for each charge and each refund, in the same order.
    charge_sources: tuple[LineSource, ...] = ()
    refund_sources: tuple[LineSource, ...] = ()

    @classmethod
    def build(
        cls,
        order: MarketplaceOrder,
        settings: Settings,
        mappings: dict[str, ProductMapping],
        items: dict[str, Item],
        edits: tuple[LineEdit, ...] = (),
    ) -> DocumentPlan:
        fees = [line for line in order.lines if is_fee(line)]
        unmapped = sorted({mapping_key(line) for line in fees} - set(mappings))
        if unmapped:
            raise UnmappedProducts(unmapped)
        by_index = {edit.index: edit for edit in edits}
        refunds_move_money = settings.downgrades is DowngradeMode.REFUND
        charges: list[LineItem] = []
        refunds: list[LineItem] = []
        sources: dict[bool, list[LineSource]] = {True: [], False: []}
        changes: list[str] = []
        left_out = Decimal(0)
        for index, line in enumerate(order.lines):
            if not is_fee(line):
                left_out += line.extended_price.amount - line.discount_amount
                continue
            mapping = mappings[mapping_key(line)]
            item = items.get(mapping.xero_item_code)
            if is_refund(line) and not refunds_move_money:
                left_out += line.extended_price.amount - line.discount_amount
                changes.append(f"{mapping.product_name}: quantity {_plain(-abs(line.quantity))}")
                continue
            planned = _line(line, mapping, item, settings, by_index.get(index))
            (refunds if is_refund(line) else charges).append(planned)
            amount, tax = line.extended_price.amount - line.discount_amount, line.tax_amount
            if is_refund(line):  # a credit note's lines are positive, as planned above
                amount, tax = abs(amount), abs(tax)
            unit = abs(line.unit_price.amount) if is_refund(line) else line.unit_price.amount
            sources[is_refund(line)].append(
                LineSource(mapping.product_name, amount, tax, unit, order_line=index)
            )
        if charges:  # its invoice must be datable: refused here, for this order alone
            try:
                due_date(order.created_at.date(), settings.due_date_terms)
            except OverflowError:
                raise DueDateOutOfRange(order.created_at.date()) from None
        hand_priced = any(e.unit_amount is not None or e.quantity is not None for e in edits)
        expected = None
        if settings.price_source is PriceSource.MARKETPLACE and not hand_priced:
            expected = (order.total.amount - left_out).quantize(CENT, ROUND_HALF_UP)
        return cls(
            order_number=order.order_number,
            currency=order.total.currency,
            day=order.created_at.date(),
            charges=tuple(charges),
            refunds=tuple(refunds),
            quantity_changes=tuple(changes),
            expected=expected,
            charge_sources=tuple(sources[False]),
            refund_sources=tuple(sources[True]),
        )

    def marked(self) -> DocumentPlan:
        """This plan with every charge marked with the order's number, for an invoice that
        collects several orders' lines."""
        return replace(
            self, charges=tuple(marked(line, self.order_number) for line in self.charges)
        )

    @property
    def moves_money(self) -> bool:
        return bool(self.charges or self.refunds)

    @property
    def planned_total(self) -> Decimal:
        return lines_total(self.charges) - lines_total(self.refunds)

    def invoice(self, contact_id: str, settings: Settings) -> Invoice | None:
        if not self.charges:
            return None
        return Invoice(
            contact=ContactRef(contact_id=contact_id),
            line_items=self.charges,
            date=self.day,
            due_date=due_date(self.day, settings.due_date_terms),
            line_amount_types=settings.line_amount_types.value,
            invoice_number=(
                self.order_number
                if settings.invoice_number_source is InvoiceNumberSource.MARKETPLACE
                else None
            ),
            reference=self.order_number,
            status=settings.new_invoice_status.value,
            currency_code=self.currency,
        )

    def credit_note(self, contact_id: str, settings: Settings) -> CreditNote | None:
        if not self.refunds:
            return None
        return CreditNote(
            contact=ContactRef(contact_id=contact_id),
            line_items=self.refunds,
            date=self.day,
            line_amount_types=settings.line_amount_types.value,
            credit_note_number=(
                f"CN-{self.order_number}"
                if settings.invoice_number_source is InvoiceNumberSource.MARKETPLACE
                else None
            ),
            reference=self.order_number,
            status=settings.new_invoice_status.value,
            currency_code=self.currency,
        )


def _plain(number: Decimal) -> str:
    """4.0 as "4", 2.50 as "2.5", 10 as "10"."""
    return format(number.normalize(), "f")


def compared_figure(
    settings: Settings, sub_total: Decimal | None, total: Decimal | None
) -> Decimal:
    """The figure of a Xero document that order prices correspond to: with tax-inclusive prices
    the total, otherwise the total before tax."""
    inclusive = settings.line_amount_types is LineAmountTypes.INCLUSIVE
    value = total if inclusive else sub_total
    return (value or Decimal(0)).quantize(CENT, ROUND_HALF_UP)


def _line(
    line: OrderLine,
    mapping: ProductMapping,
    item: Item | None,
    settings: Settings,
    edit: LineEdit | None,
) -> LineItem:
    sales = item.sales_details if item else None
    price_source = (edit.price_source if edit else None) or settings.price_source
    if edit is not None and edit.unit_amount is not None:
        unit_amount = edit.unit_amount
    elif price_source is PriceSource.XERO:
        if sales is None or sales.unit_price is None:
            raise ItemPriceMissing(mapping.xero_item_code)
        unit_amount = sales.unit_price
    else:
        unit_amount = line.unit_price.amount
    if edit is not None and edit.description is not None:
        description = edit.description
    elif settings.trim_descriptions:
        description = mapping.product_name
    elif settings.description_source is DescriptionSource.XERO and item is not None:
        description = item.description or item.name or mapping.product_name
    else:
        description = line.description or mapping.product_name
    quantity = edit.quantity if edit is not None and edit.quantity is not None else line.quantity
    discount = (
        edit.discount_amount
        if edit is not None and edit.discount_amount is not None
        else line.discount_amount
    )
    # Refunds travel on a credit note, whose lines are positive; charges keep their sign
    # (a discount line is a negative charge).
    if is_refund(line):
        quantity, unit_amount, discount = abs(quantity), abs(unit_amount), abs(discount)
    chosen = line_choices(
        mapping_account=mapping.account_code,
        mapping_tax=mapping.tax_type,
        item_account=sales.account_code if sales else None,
        item_tax=sales.tax_type if sales else None,
        default_account=settings.sales_account_code,
        default_tax=settings.tax_type,
    )
    return LineItem(
        description=description,
        quantity=quantity,
        unit_amount=unit_amount.quantize(UNIT_PLACES, ROUND_HALF_UP),
        item_code=mapping.xero_item_code,
        account_code=chosen.account_code,
        tax_type=chosen.tax_type,
        discount_amount=discount or None,
        tracking=on_line(mapping.tracking) or None,
    )
