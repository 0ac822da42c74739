"""What the mapping screens show: a customer's and a product's row, what "import all" did,
and the item made for a product."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from cbxero.domain.model import ProductMapping, TrackingChoice


class CustomerRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    customer_id: str
    name: str
    email: str | None = None
    tax_id: str | None = None
    complete: bool
    missing: list[str]
    xero_contact_id: str | None = None
    auto_sync: bool = False


class ProductRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    mpn: str
    name: str
    xero_item_code: str | None = None
    # The mapping's own choices (none: the item's, else the settings'), so that a screen that
    # maps the product to another item can keep them.
    account_code: str | None = None
    tax_type: str | None = None
    tracking: tuple[TrackingChoice, ...] = ()


class ImportReport(BaseModel):
    """What "import all" did: contacts made, existing ones matched (on a strong identity),
    customers whose contact the reseller must confirm (with the candidates), profiles left out,
    and contacts Xero refused to make (with its reason)."""

    created: list[str]
    matched: list[str]
    incomplete: dict[str, list[str]]
    to_confirm: dict[str, list[str]] = Field(default_factory=dict)
    refused: dict[str, str] = Field(default_factory=dict)


class ItemMade(BaseModel):
    mapping: ProductMapping
    item_name: str = Field(description="The Xero item's name (fitted to Xero's 50 characters).")
    code_shortened: bool
    name_shortened: bool
