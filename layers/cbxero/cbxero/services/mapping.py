"""The store's mapping screen: marketplace customers and products beside their Xero contacts
and items, the fees mapping, and the Xero look-ups the screens need (cached, governed)."""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Callable

from cbxero.domain.chart import Chart, Purpose, accounts_for, active_tracking, revenue_tax_rates
from cbxero.domain.contacts import choose_contact
from cbxero.domain.documents import CANCELLATION_FEE
from cbxero.domain.errors import Conflict, DocumentRejected, InvalidInput, NotFound
from cbxero.domain.idempotency import contact_key, item_key
from cbxero.domain.marketplace import MarketplaceCustomer, MarketplaceProduct
from cbxero.domain.model import CustomerLink, ProductMapping, TrackingChoice
from cbxero.domain.xero import (
    Account,
    Contact,
    Item,
    TaxRate,
    TrackingCategory,
)
from cbxero.ports import (
    ActionLog,
    Clock,
    CustomerLinkRepository,
    Marketplace,
    ProductMappingRepository,
    SettingsRepository,
    XeroAccounting,
)
from cbxero.services.chart import ChartCheck, MappingChoices
from cbxero.services.kept import Kept
from cbxero.services.mapping_rows import CustomerRow, ImportReport, ItemMade, ProductRow
from cbxero.services.recording import Recorder

ITEM_CODE_LIMIT = 30  # Xero's limits on an item's code and name
ITEM_NAME_LIMIT = 50
LOOKUP_TTL = 300.0  # seconds a Xero look-up is served from this container's cache


def item_code_for(mpn: str) -> str:
    """A Xero item code for a product: its MPN when it fits, else a stable shortening that
    keeps the MPN's start and ends with a digest of the whole (the same MPN, the same code)."""
    if len(mpn) <= ITEM_CODE_LIMIT:
        return mpn
    digest = hashlib.sha256(mpn.encode()).hexdigest()[:8]
    return f"{mpn[: ITEM_CODE_LIMIT - 9]}-{digest}"


def item_name_for(name: str) -> str:
    return name if len(name) <= ITEM_NAME_LIMIT else name[: ITEM_NAME_LIMIT - 1].rstrip() + "…"


class MappingDesk:
    def __init__(
        self,
        *,
        settings: SettingsRepository,
        links: CustomerLinkRepository,
        mappings: ProductMappingRepository,
        marketplace: Marketplace,
        xero: Callable[[str], XeroAccounting],
        action_log: ActionLog,
        clock: Clock,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._links = links
        self._mappings = mappings
        self._marketplace = marketplace
        self._xero = xero
        self._log = action_log
        self._clock = clock
        self._monotonic = monotonic
        self._recorder = Recorder(action_log, clock)
        # Through self._monotonic at each read, so that a test may turn the clock.
        self._cache = Kept(LOOKUP_TTL, lambda: self._monotonic())
        self._check = ChartCheck(xero)

    # ------------------------------------------------------------------ customers
    def customers(self, reseller_id: str, *, unmapped_only: bool = False) -> list[CustomerRow]:
        links = {link.customer_id: link for link in self._links.for_reseller(reseller_id)}
        rows = [
            _customer_row(customer, links.get(customer.id)) for customer in self._owned(reseller_id)
        ]
        return [row for row in rows if not (unmapped_only and row.xero_contact_id)]

    def suggestions(self, reseller_id: str, customer_id: str) -> list[Contact]:
        """Xero contacts that may be this customer: same number, tax id, email or name."""
        customer = self._customer(reseller_id, customer_id)
        present = customer.contact_criteria()
        return self._xero(reseller_id).contacts_matching(present)

    def map_customer(
        self, reseller_id: str, customer_id: str, contact_id: str, actor: str
    ) -> CustomerLink:
        """Link the customer to an existing, active Xero contact: an archived one (merged ones
        among them) is refused, naming what to do."""
        self._customer(reseller_id, customer_id)
        try:
            contact = self._xero(reseller_id).contact(contact_id)
        except NotFound:
            raise InvalidInput(
                f"Xero has no contact {contact_id}", field="xero_contact_id"
            ) from None
        if contact.merged_to_contact_id:
            raise InvalidInput(
                f"Xero contact {contact.name} was merged into contact "
                f"{contact.merged_to_contact_id}: map the customer to that one",
                field="xero_contact_id",
            )
        if contact.archived:
            raise InvalidInput(
                f"Xero contact {contact.name} is archived: restore it in Xero or choose another",
                field="xero_contact_id",
            )
        return self._link(reseller_id, customer_id, contact.contact_id, actor, contact.name)

    def create_contact(self, reseller_id: str, customer_id: str, actor: str) -> CustomerLink:
        """Make the customer's Xero contact from its marketplace profile, and link it."""
        customer = self._customer(reseller_id, customer_id)
        missing = customer.missing_for_contact()
        if missing:
            raise InvalidInput(
                f"customer {customer_id}'s profile lacks {', '.join(missing)}",
                field="customer",
            )
        made = self._make_contact(reseller_id, customer)
        return self._link(reseller_id, customer_id, made.contact_id, actor, made.name)

    def import_all(self, reseller_id: str, actor: str) -> ImportReport:
        """Every unlinked customer: linked to its Xero contact when `choose_contact` allows it (a
        strong, unique identity no other customer holds); listed with its candidates when only
        the reseller can tell; else made from a complete profile; incomplete profiles are listed
        with what they lack."""
        report = ImportReport(created=[], matched=[], incomplete={})
        holders: dict[str, set[str]] = defaultdict(set)
        for link in self._links.for_reseller(reseller_id):
            if link.xero_contact_id:
                holders[link.xero_contact_id].add(link.customer_id)
        linked = {customer for held in holders.values() for customer in held}
        xero = self._xero(reseller_id)
        for customer in self._owned(reseller_id):
            if customer.id in linked:
                continue
            found = xero.contacts_matching(customer.contact_criteria())
            choice = choose_contact(customer, found, holders)
            if choice.linked is not None and choice.linked.contact_id:
                contact_id = choice.linked.contact_id
                self._link(reseller_id, customer.id, contact_id, actor, choice.linked.name)
                report.matched.append(customer.id)
            elif choice.to_confirm:
                report.to_confirm[customer.id] = [c.describe() for c in choice.candidates]
                continue
            elif missing := customer.missing_for_contact():
                report.incomplete[customer.id] = missing
                continue
            else:
                try:
                    made = self._make_contact(reseller_id, customer)
                except DocumentRejected as refused:
                    report.refused[customer.id] = refused.message
                    continue
                contact_id = made.contact_id or ""
                self._link(reseller_id, customer.id, contact_id, actor, made.name)
                report.created.append(customer.id)
            holders[contact_id].add(customer.id)
        return report

    def unmap_customer(self, reseller_id: str, customer_id: str, actor: str) -> CustomerLink:
        link = self._links.get(reseller_id, customer_id)
        if link is None or link.xero_contact_id is None:
            raise NotFound(f"customer {customer_id} is not mapped", field="customerId")
        return self._link(reseller_id, customer_id, None, actor, None)

    def set_auto_sync(
        self, reseller_id: str, customer_ids: list[str], on: bool, actor: str
    ) -> list[CustomerLink]:
        known = {customer.id for customer in self._owned(reseller_id)}
        unknown = sorted(set(customer_ids) - known)
        if unknown:
            raise NotFound(f"no marketplace customer {unknown[0]}", field="customer_ids")
        changed = []
        for customer_id in customer_ids:
            link = self._links.get(reseller_id, customer_id) or CustomerLink(
                reseller_id=reseller_id, customer_id=customer_id
            )
            link = link.model_copy(update={"auto_sync": on})
            self._links.save(link)
            changed.append(link)
        self._recorder.info(
            reseller_id,
            "auto_sync_changed",
            actor,
            f"Auto-sync {'on' if on else 'off'} for {len(changed)} customer(s)",
        )
        return changed

    # ------------------------------------------------------------------ products and fees
    def products(self, reseller_id: str, *, unmapped_only: bool = False) -> list[ProductRow]:
        mapped = {m.mpn: m for m in self._mappings.for_reseller(reseller_id)}
        products = self._marketplace.products()
        rows = [_product_row(product, mapped.get(product.mpn)) for product in products]
        return [row for row in rows if not (unmapped_only and row.xero_item_code)]

    def create_item(self, reseller_id: str, mpn: str, actor: str) -> ItemMade:
        """Make the Xero item for a product (its code and name shortened to Xero's limits, the
        same way every time, and said so) and map the product to it."""
        product = self._product(mpn)
        code, name = item_code_for(product.mpn), item_name_for(product.name)
        self._check_item_free(reseller_id, mpn, code)
        xero = self._xero(reseller_id)
        existing = xero.items([code]).get(code)
        made = existing or xero.create_item(
            Item(
                code=code,
                name=name,
                description=product.name,
                sales_details=self._check.item_sales(xero, self._settings.get(reseller_id)),
            ),
            item_key(reseller_id, code),
        )
        self._cache.forget((reseller_id, "items"))  # the screens' kept list may lack it
        mapping = self._save_mapping(reseller_id, mpn, product.name, made, actor)
        return ItemMade(
            mapping=mapping,
            item_name=made.name or name,
            code_shortened=code != product.mpn,
            name_shortened=name != product.name,
        )

    def map_product(
        self,
        reseller_id: str,
        mpn: str,
        item_code: str,
        actor: str,
        choices: MappingChoices | None = None,
    ) -> ProductMapping:
        """Map a product (or the cancellation fee) to an existing Xero item, with its own
        account, tax type and tracking when chosen (each checked against the organisation)."""
        name = "Cancellation fee" if mpn == CANCELLATION_FEE else self._product(mpn).name
        self._check_item_free(reseller_id, mpn, item_code)
        item = self._xero(reseller_id).items([item_code]).get(item_code)
        if item is None:
            raise InvalidInput(f"Xero has no item {item_code}", field="xero_item_code")
        choices = choices or MappingChoices()
        self._check.check(
            reseller_id,
            account=choices.account_code,
            tax_type=choices.tax_type,
            tracking=choices.tracking,
        )
        return self._save_mapping(reseller_id, mpn, name, item, actor, choices)

    def unmap_product(self, reseller_id: str, mpn: str, actor: str) -> None:
        if not self._mappings.get_many(reseller_id, [mpn]):
            raise NotFound(f"product {mpn} is not mapped", field="mpn")
        self._mappings.delete(reseller_id, mpn)
        self._recorder.info(reseller_id, "product_unmapped", actor, f"Product {mpn} unmapped")

    def fees(self, reseller_id: str) -> dict[str, str | None]:
        found = self._mappings.get_many(reseller_id, [CANCELLATION_FEE])
        fee = found.get(CANCELLATION_FEE)
        return {"cancellation": fee.xero_item_code if fee else None}

    # ------------------------------------------------------------------ Xero look-ups
    def contacts(self, reseller_id: str, search: str | None) -> list[Contact]:
        def read() -> list[Contact]:
            return self._xero(reseller_id).contacts(search)

        return self._cached(reseller_id, f"contacts:{search or ''}", read)

    def items(self, reseller_id: str) -> list[Item]:
        return self._cached(reseller_id, "items", lambda: self._xero(reseller_id).all_items())

    def accounts(self, reseller_id: str, purpose: Purpose | None = None) -> list[Account]:
        """The organisation's accounts; for a purpose, only those that may be chosen for it."""
        listed = self._cached(reseller_id, "accounts", lambda: self._xero(reseller_id).accounts())
        return listed if purpose is None else accounts_for(Chart("", tuple(listed)), purpose)

    def tax_rates(self, reseller_id: str, purpose: Purpose | None = None) -> list[TaxRate]:
        """The organisation's tax rates; for revenue, the ACTIVE ones that can apply to it."""
        listed = self._cached(reseller_id, "tax", lambda: self._xero(reseller_id).tax_rates())
        return listed if purpose is None else revenue_tax_rates(Chart("", tax_rates=tuple(listed)))

    def tracking_categories(self, reseller_id: str) -> list[TrackingCategory]:
        read = self._xero(reseller_id).tracking_categories
        listed = self._cached(reseller_id, "tracking", read)
        return active_tracking(Chart("", tracking=tuple(listed)))

    def set_customer_tracking(
        self,
        reseller_id: str,
        customer_id: str,
        tracking: tuple[TrackingChoice, ...],
        actor: str,
    ) -> CustomerLink:
        """The customer's tracking (checked against the organisation's active options)."""
        self._customer(reseller_id, customer_id)
        self._check.check(reseller_id, tracking=tracking)
        link = self._links.get(reseller_id, customer_id) or CustomerLink(
            reseller_id=reseller_id, customer_id=customer_id
        )
        if link.tracking == tracking:
            return link
        link = link.model_copy(update={"tracking": tracking})
        self._links.save(link)
        said = ", ".join(f"{t.name}: {t.option}" for t in tracking) or "none"
        self._recorder.info(
            reseller_id,
            "customer_tracking_changed",
            actor,
            f"Customer {customer_id}'s tracking: {said}",
            customer_id=customer_id,
        )
        return link

    def _cached[T](self, reseller_id: str, what: str, read: Callable[[], T]) -> T:
        return self._cache.get((reseller_id, what), read)

    # ------------------------------------------------------------------ helpers
    def _owned(self, reseller_id: str) -> list[MarketplaceCustomer]:
        return self._marketplace.customers(reseller_id)

    def _customer(self, reseller_id: str, customer_id: str) -> MarketplaceCustomer:
        return owned_customer(self._marketplace, reseller_id, customer_id)

    def _product(self, mpn: str) -> MarketplaceProduct:
        for product in self._marketplace.products():
            if product.mpn == mpn:
                return product
        raise NotFound(f"no marketplace product {mpn}", field="mpn")

    def _check_item_free(self, reseller_id: str, mpn: str, item_code: str) -> None:
        if self._settings.get(reseller_id).allow_many_products_per_item:
            return
        others = [m for m in self._mappings.products_for_item(reseller_id, item_code) if m != mpn]
        if others:
            raise Conflict(
                f"Xero item {item_code} is already mapped to product {others[0]}; "
                "mapping several products to one item is not allowed in the settings",
                field="xero_item_code",
            )

    def _make_contact(self, reseller_id: str, customer: MarketplaceCustomer) -> Contact:
        return self._xero(reseller_id).create_contact(
            customer.as_contact(), contact_key(reseller_id, customer.id)
        )

    def _link(
        self,
        reseller_id: str,
        customer_id: str,
        contact_id: str | None,
        actor: str,
        contact_name: str | None,
    ) -> CustomerLink:
        link = self._links.get(reseller_id, customer_id) or CustomerLink(
            reseller_id=reseller_id, customer_id=customer_id
        )
        link = link.with_contact(contact_id)
        self._links.save(link)
        self._recorder.info(
            reseller_id,
            "customer_mapped" if contact_id else "customer_unmapped",
            actor,
            f"Customer {customer_id} "
            + (f"mapped to Xero contact {contact_name}" if contact_id else "unmapped"),
            customer_id=customer_id,
        )
        return link

    def _save_mapping(
        self,
        reseller_id: str,
        mpn: str,
        name: str,
        item: Item,
        actor: str,
        choices: MappingChoices | None = None,
    ) -> ProductMapping:
        chosen = choices or MappingChoices()
        mapping = ProductMapping(
            reseller_id=reseller_id,
            mpn=mpn,
            product_name=name,
            xero_item_code=item.code,
            xero_item_id=item.item_id,
            account_code=chosen.account_code,
            tax_type=chosen.tax_type,
            tracking=chosen.tracking,
        )
        self._mappings.save(mapping)
        extra = [
            f"account {chosen.account_code}" if chosen.account_code else "",
            f"tax type {chosen.tax_type}" if chosen.tax_type else "",
            ", ".join(f"{t.name}: {t.option}" for t in chosen.tracking),
        ]
        said = "; ".join(part for part in extra if part)
        self._recorder.info(
            reseller_id,
            "product_mapped",
            actor,
            f"Product {mpn} mapped to {item.code}" + (f" ({said})" if said else ""),
        )
        return mapping


def owned_customer(
    marketplace: Marketplace, reseller_id: str, customer_id: str
) -> MarketplaceCustomer:
    """The reseller's marketplace customer; NotFound names the request's customerId."""
    try:
        return marketplace.customer(reseller_id, customer_id)
    except NotFound as missing:
        raise NotFound(missing.message, field="customerId") from missing


def _customer_row(customer: MarketplaceCustomer, link: CustomerLink | None) -> CustomerRow:
    missing = customer.missing_for_contact()
    return CustomerRow(
        customer_id=customer.id,
        name=customer.name,
        email=customer.email,
        tax_id=customer.tax_reg_id,
        complete=not missing,
        missing=missing,
        xero_contact_id=link.xero_contact_id if link else None,
        auto_sync=link.auto_sync if link else False,
    )


def _product_row(product: MarketplaceProduct, mapping: ProductMapping | None) -> ProductRow:
    if mapping is None:
        return ProductRow(mpn=product.mpn, name=product.name)
    return ProductRow(
        mpn=product.mpn,
        name=product.name,
        xero_item_code=mapping.xero_item_code,
        account_code=mapping.account_code,
        tax_type=mapping.tax_type,
        tracking=mapping.tracking,
    )
