"""The Customers, Products and Fees screens (marketplace records to Xero contacts and items) and
the Xero look-ups they choose from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from cbxero.domain.chart import TRACKING_LIMIT, Purpose
from cbxero.domain.documents import CANCELLATION_FEE
from cbxero.domain.marketplace import MARKETPLACE_ID_PATTERN, MarketplaceId
from cbxero.domain.model import CustomerLink, ProductMapping, TrackingChoice
from cbxero.domain.xero import Account, Contact, Item, TaxRate, TrackingCategory
from cbxero.services.chart import MappingChoices
from cbxero.services.mapping_rows import CustomerRow, ImportReport, ItemMade, ProductRow
from cbxero.store_api.params import Caller

if TYPE_CHECKING:
    from cbxero.services.mapping import MappingDesk
    from cbxero.services.tasks import TaskDesk


Tracking = Annotated[
    list[TrackingChoice],
    Field(
        max_length=TRACKING_LIMIT,
        description="At most two, from GET /xero/tracking-categories (ACTIVE only).",
    ),
]


def _tracking(choices: list[TrackingChoice] | None) -> tuple[TrackingChoice, ...]:
    return tuple(choices or ())


class CustomerLinkBody(BaseModel):
    xero_contact_id: str | None = Field(
        None, min_length=1, max_length=64, description="An existing Xero contact to map to."
    )
    auto_sync: StrictBool = False
    tracking: Tracking | None = Field(
        None, description="Tracking for the customer's lines (left out: kept as it is)."
    )


class ProductMappingBody(BaseModel):
    xero_item_code: str = Field(min_length=1, max_length=30)
    account_code: str | None = Field(
        None,
        min_length=1,
        max_length=10,
        description="A revenue account from GET /xero/accounts?purpose=revenue; none: the "
        "item's own, else the settings' sales account.",
    )
    tax_type: str | None = Field(
        None,
        min_length=1,
        max_length=50,
        description="A tax type from GET /xero/tax-rates?purpose=revenue; none: the item's "
        "own, else the settings' tax type.",
    )
    tracking: Tracking = Field(default_factory=list)

    def choices(self) -> MappingChoices:
        return MappingChoices(
            account_code=self.account_code,
            tax_type=self.tax_type,
            tracking=_tracking(self.tracking),
        )


class SyncQueued(BaseModel):
    customer_id: str
    queued: bool = True


class AutoSyncBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_ids: list[MarketplaceId] = Field(min_length=1, max_length=500)
    auto_sync: StrictBool


class UnmappedProduct(BaseModel):
    unmapped: str


CustomerId = Annotated[str, Path(min_length=1, max_length=64, pattern=MARKETPLACE_ID_PATTERN)]
Mpn = Annotated[str, Path(min_length=1, max_length=128)]
Unmapped = Annotated[bool, Query(description="Only those not mapped yet.")]
Search = Annotated[str | None, Query(min_length=1, max_length=255)]
AccountPurpose = Annotated[
    Purpose | None, Query(description="Only the accounts that may be chosen for this purpose.")
]
TaxPurpose = Annotated[
    Literal["revenue"] | None,
    Query(description="Only the ACTIVE tax rates that can apply to revenue."),
]


def routes(mapping: MappingDesk, tasks: TaskDesk, caller: Caller) -> Router:
    router = Router()  # type: ignore[no-untyped-call]  # Powertools leaves it unannotated

    @router.get("/customers")
    def list_customers(unmapped: Unmapped = False) -> list[CustomerRow]:
        return mapping.customers(caller.reseller(), unmapped_only=unmapped)

    @router.post("/customers/import")
    def import_customers() -> ImportReport:
        return mapping.import_all(caller.reseller(), caller.actor())

    @router.put("/customers/auto-sync")
    def auto_sync_many(body: AutoSyncBody) -> list[CustomerLink]:
        return mapping.set_auto_sync(
            caller.reseller(), body.customer_ids, body.auto_sync, caller.actor()
        )

    @router.put("/customers/<customerId>")
    def link_customer(customerId: CustomerId, body: CustomerLinkBody) -> CustomerLink:
        reseller, actor = caller.reseller(), caller.actor()
        if body.xero_contact_id:
            mapping.map_customer(reseller, customerId, body.xero_contact_id, actor)
        if body.tracking is not None:
            mapping.set_customer_tracking(reseller, customerId, _tracking(body.tracking), actor)
        (link,) = mapping.set_auto_sync(reseller, [customerId], body.auto_sync, actor)
        return link

    @router.get("/customers/<customerId>/suggestions")
    def contact_suggestions(customerId: CustomerId) -> list[Contact]:
        return mapping.suggestions(caller.reseller(), customerId)

    @router.post("/customers/<customerId>/xero-contact")
    def create_contact(customerId: CustomerId) -> CustomerLink:
        return mapping.create_contact(caller.reseller(), customerId, caller.actor())

    @router.delete("/customers/<customerId>/xero-contact")
    def unmap_customer(customerId: CustomerId) -> CustomerLink:
        return mapping.unmap_customer(caller.reseller(), customerId, caller.actor())

    @router.post("/customers/<customerId>/sync")
    def sync_customer(customerId: CustomerId) -> SyncQueued:
        tasks.sync_now(caller.reseller(), customerId, caller.actor())
        return SyncQueued(customer_id=customerId)

    @router.get("/products")
    def list_products(unmapped: Unmapped = False) -> list[ProductRow]:
        return mapping.products(caller.reseller(), unmapped_only=unmapped)

    @router.put("/products/<mpn>")
    def map_product(mpn: Mpn, body: ProductMappingBody) -> ProductMapping:
        reseller, code = caller.reseller(), body.xero_item_code
        return mapping.map_product(reseller, mpn, code, caller.actor(), body.choices())

    @router.delete("/products/<mpn>")
    def unmap_product(mpn: Mpn) -> UnmappedProduct:
        mapping.unmap_product(caller.reseller(), mpn, caller.actor())
        return UnmappedProduct(unmapped=mpn)

    @router.post("/products/<mpn>/xero-item")
    def create_item(mpn: Mpn) -> ItemMade:
        return mapping.create_item(caller.reseller(), mpn, caller.actor())

    @router.get("/fees")
    def fees() -> dict[str, str | None]:
        return mapping.fees(caller.reseller())

    @router.put("/fees/cancellation")
    def map_cancellation_fee(body: ProductMappingBody) -> ProductMapping:
        fee, code = CANCELLATION_FEE, body.xero_item_code
        return mapping.map_product(caller.reseller(), fee, code, caller.actor(), body.choices())

    @router.get("/xero/contacts")
    def xero_contacts(search: Search = None) -> list[Contact]:
        return mapping.contacts(caller.reseller(), search)

    @router.get("/xero/items")
    def xero_items() -> list[Item]:
        return mapping.items(caller.reseller())

    @router.get("/xero/accounts")
    def xero_accounts(purpose: AccountPurpose = None) -> list[Account]:
        return mapping.accounts(caller.reseller(), purpose)

    @router.get("/xero/tax-rates")
    def xero_tax_rates(purpose: TaxPurpose = None) -> list[TaxRate]:
        return mapping.tax_rates(caller.reseller(), Purpose.REVENUE if purpose else None)

    @router.get("/xero/tracking-categories")
    def xero_tracking_categories() -> list[TrackingCategory]:
        return mapping.tracking_categories(caller.reseller())

    return router
