"""What the integration reads from the marketplace, as domain objects."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

if TYPE_CHECKING:  # functions that never write to Xero do not load its models
    from cbxero.domain.xero import Contact


# A marketplace customer's or order's id, as it may go into a URL path: a letter or digit, then
# letters, digits, ".", "_" or "-" (the marketplace's own are digits). No "/", no ".." segment.
MARKETPLACE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
MarketplaceId = Annotated[str, Field(min_length=1, max_length=64, pattern=MARKETPLACE_ID_PATTERN)]


class OrderType(StrEnum):
    SALES = "sales"
    CHANGE = "change"
    RENEWAL = "renewal"
    CANCELLATION = "cancellation"
    MIGRATION = "migration"
    BILLING = "billing"
    UNKNOWN = "unknown"


class OrderStatus(StrEnum):
    SUBMITTED = "submitted"
    PROCESSING = "processing"
    ERROR = "error"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Money(BaseModel):
    model_config = ConfigDict(frozen=True)

    amount: Decimal
    currency: str = Field(min_length=3, max_length=3)


class LineKind(StrEnum):
    """What an order line is to the integration; the marketplace adapter decides it from the
    marketplace's own line types."""

    CHARGE = "charge"  # a fee the customer pays (a discount is a negative charge)
    REFUND = "refund"  # money going back to the customer (a credit note)
    CANCELLATION_FEE = "cancellation_fee"  # a charge whose item comes from the fees mapping
    PAYMENT = "payment"  # money moving (a payment, deposit, bill record), not a fee: never invoiced


class OrderLine(BaseModel):
    """One fee line of an order."""

    model_config = ConfigDict(frozen=True)

    kind: LineKind
    mpn: str
    description: str = ""
    quantity: Decimal
    unit_price: Money
    extended_price: Money
    discount_amount: Decimal = Decimal(0)
    tax_amount: Decimal = Decimal(0)
    # A payment line that is the customer paying this order (not a reseller's payment, a
    # deposit or a bill record): what may become a payment against the order's invoice.
    pays_order: bool = False


class MarketplaceOrder(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    order_number: str
    type: OrderType
    status: OrderStatus
    customer_id: str
    created_at: AwareDatetime
    total: Money
    lines: tuple[OrderLine, ...] = ()


class ContactPerson(BaseModel):
    model_config = ConfigDict(frozen=True)

    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""


class MarketplaceCustomer(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    tax_reg_id: str | None = None
    email: str | None = None
    contact: ContactPerson | None = None
    street: str | None = None
    city: str | None = None
    postal_code: str | None = None
    country_code: str | None = None

    def contact_criteria(self) -> dict[str, str]:
        """What a Xero contact for this customer would match, in order of preference: the
        customer id as ContactNumber, the tax number, the email, the exact name."""
        criteria = {
            "ContactNumber": self.id,
            "TaxNumber": self.tax_reg_id,
            "EmailAddress": self.email,
            "Name": self.name,
        }
        return {name: value for name, value in criteria.items() if value}

    def as_contact(self) -> "Contact":
        """The Xero contact made from this profile (ContactNumber = the customer id)."""
        from cbxero.domain.xero import Contact

        return Contact(
            contact_number=self.id,
            name=self.name,
            email_address=self.email,
            tax_number=self.tax_reg_id,
            first_name=self.contact.first_name if self.contact else None,
            last_name=self.contact.last_name if self.contact else None,
        )

    def missing_for_contact(self) -> list[str]:
        """What a Xero contact made from this profile would lack; empty when complete."""
        wanted = {"name": self.name, "email": self.email, "country_code": self.country_code}
        return [field for field, value in wanted.items() if not value]


class MarketplaceProduct(BaseModel):
    model_config = ConfigDict(frozen=True)

    mpn: str
    name: str


# Orders the marketplace is still working on: they may yet complete, so they wait for that.
IN_FLIGHT = frozenset({OrderStatus.SUBMITTED, OrderStatus.PROCESSING})


def newest_creation(orders: list[MarketplaceOrder]) -> datetime | None:
    """The cursor a sync advances to: the newest order's creation time, but never past an order
    still in flight, which is read again (the look is from the cursor on, inclusive) until it
    completes or fails."""
    waiting = [order.created_at for order in orders if order.status in IN_FLIGHT]
    if waiting:
        return min(waiting)
    return max((order.created_at for order in orders), default=None)
