"""How one marketplace order becomes one Xero invoice under a reseller's settings."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from cbxero.domain.marketplace import MarketplaceOrder, OrderLine
from cbxero.domain.model import ProductMapping
from cbxero.domain.settings import (
    DescriptionSource,
    DueDateRule,
    DueDateTerms,
    InvoiceNumberSource,
    PriceSource,
    Settings,
)
from cbxero.domain.xero import ContactRef, Invoice, Item, LineItem

UNIT_PLACES = Decimal("0.0001")  # Xero keeps unit amounts to 4 places with unitdp=4
CENT = Decimal("0.01")


class UnmappedProducts(Exception):
    """Some order lines name products without a Xero item; the task needs the reseller."""

    def __init__(self, mpns: list[str]) -> None:
        super().__init__("no Xero item mapped for product(s): " + ", ".join(mpns))
        self.mpns = mpns


class ItemPriceMissing(Exception):
    """Prices come from Xero, but the mapped item has no sales price."""

    def __init__(self, item_code: str) -> None:
        super().__init__(f"Xero item {item_code} has no sales unit price")
        self.item_code = item_code


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


@dataclass(frozen=True)
class InvoicePlan:
    """The Xero invoice an order should make, and the total it should come to."""

    invoice: Invoice
    expected_sub_total: Decimal

    @classmethod
    def build(
        cls,
        order: MarketplaceOrder,
        settings: Settings,
        contact_id: str,
        mappings: dict[str, ProductMapping],
        items: dict[str, Item],
    ) -> InvoicePlan:
        """Lines from the order's fee lines, each through its product mapping and the settings."""
        unmapped = sorted({line.mpn for line in order.lines if line.mpn not in mappings})
        if unmapped:
            raise UnmappedProducts(unmapped)
        lines = tuple(
            _line(line, mappings[line.mpn], items.get(mappings[line.mpn].xero_item_code), settings)
            for line in order.lines
        )
        invoice_date = order.created_at.date()
        invoice = Invoice(
            contact=ContactRef(contact_id=contact_id),
            line_items=lines,
            date=invoice_date,
            due_date=due_date(invoice_date, settings.due_date_terms),
            line_amount_types=settings.line_amount_types.value,
            invoice_number=(
                order.order_number
                if settings.invoice_number_source is InvoiceNumberSource.MARKETPLACE
                else None
            ),
            reference=order.order_number,
            status=settings.new_invoice_status.value,
            currency_code=order.total.currency,
        )
        expected = sum((_line_amount(line) for line in lines), Decimal(0))
        return cls(invoice=invoice, expected_sub_total=expected.quantize(CENT, ROUND_HALF_UP))


def _line(
    line: OrderLine, mapping: ProductMapping, item: Item | None, settings: Settings
) -> LineItem:
    sales = item.sales_details if item else None
    if settings.price_source is PriceSource.XERO:
        if sales is None or sales.unit_price is None:
            raise ItemPriceMissing(mapping.xero_item_code)
        unit_amount = sales.unit_price
    else:
        unit_amount = line.unit_price.amount
    if settings.trim_descriptions:
        description = mapping.product_name
    elif settings.description_source is DescriptionSource.XERO and item is not None:
        description = item.description or item.name or mapping.product_name
    else:
        description = line.description or mapping.product_name
    return LineItem(
        description=description,
        quantity=line.quantity,
        unit_amount=unit_amount.quantize(UNIT_PLACES, ROUND_HALF_UP),
        item_code=mapping.xero_item_code,
        account_code=(sales.account_code if sales and sales.account_code else None)
        or settings.sales_account_code,
        tax_type=(sales.tax_type if sales and sales.tax_type else None) or settings.tax_type,
        discount_amount=line.discount_amount or None,
    )


def _line_amount(line: LineItem) -> Decimal:
    gross = (line.quantity * line.unit_amount).quantize(CENT, ROUND_HALF_UP)
    return gross - (line.discount_amount or Decimal(0))
