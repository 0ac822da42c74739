"""What must hold on Xero's side before an order's documents go there (DESIGN.md promise 11).

Xero changes under the product: a contact is archived or merged into another (Xero archives
the one merged away and names the survivor in MergedToContactID), an item is deleted or stops
being sold (`IsSold` false: Xero's spec has no other archive state for items, and it then nulls
the item's sales details), a currency is not enabled in the organisation. Sent anyway, such a
document fails on Xero's validation ("Unable to assign an Archived contact", an unknown item
code, an unsubscribed currency) or, with prices from Xero, reads as "no sales unit price". Here
each case is named with what the reseller must do, and the task waits for it. The services
gather the facts (one batched read per run); the decisions are here, pure.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from cbxero.domain.documents import is_fee, is_refund, mapping_key
from cbxero.domain.marketplace import MarketplaceOrder, OrderLine
from cbxero.domain.model import CustomerLink, ProductMapping
from cbxero.domain.settings import DowngradeMode, Settings
from cbxero.domain.xero import Contact, Item


@dataclass(frozen=True)
class ContactSeen:
    """What is known of a contact: Xero's answer now, or what its webhooks said (a link's flags),
    whichever the service has."""

    contact_id: str
    name: str | None = None
    archived: bool = False
    merged_into: str | None = None

    @classmethod
    def of(cls, contact: Contact) -> ContactSeen:
        return cls(
            contact_id=contact.contact_id or "",
            name=contact.name,
            archived=contact.archived,
            merged_into=contact.merged_to_contact_id or None,
        )

    @classmethod
    def flagged(cls, link: CustomerLink) -> ContactSeen | None:
        """What Xero's webhooks said of the link's contact (archived, merged), if anything."""
        if not link.xero_contact_id or not (
            link.xero_contact_archived or link.xero_contact_merged_into
        ):
            return None
        return cls(
            contact_id=link.xero_contact_id,
            archived=True,  # Xero archives the contact it merges away
            merged_into=link.xero_contact_merged_into,
        )

    @property
    def usable(self) -> bool:
        return not self.archived and not self.merged_into


def contact_hold(
    contact_id: str,
    seen: ContactSeen | None,
    survivor: ContactSeen | None = None,
) -> str | None:
    """Why no document may go to this contact (the action for the reseller), or None.

    `seen` is None when Xero does not know the id (a contact of another organisation, or gone);
    `survivor` is the contact it was merged into, when it was."""
    if seen is None:
        return (
            f"contact {contact_id} is not in the connected Xero organisation: "
            "map the customer to another contact"
        )
    name = seen.name or seen.contact_id
    if seen.merged_into:
        into = (survivor.name if survivor and survivor.name else None) or seen.merged_into
        return f"contact {name} was merged into {into} in Xero: confirm the mapping"
    if seen.archived:
        return f"contact {name} is archived in Xero: restore it or map another"
    return None


def item_hold(code: str, item: Item | None) -> str | None:
    """Why no line may carry this item (the action for the reseller), or None."""
    if item is None:
        return f"item {code} no longer exists in Xero: map the product again"
    if item.is_sold is False:
        return (
            f"item {code} is no longer sold in Xero (its 'I sell this item' is off): "
            "turn it on in Xero or map the product again"
        )
    return None


def currency_hold(currency: str, enabled: Collection[str], organisation: str) -> str | None:
    """Why no document may be in this currency (the action for the reseller), or None."""
    if currency in enabled:
        return None
    return f"{currency} is not enabled in {organisation}: add the currency in Xero"


def lines_to_send(order: MarketplaceOrder, settings: Settings) -> list[OrderLine]:
    """The order's lines that become lines of a Xero document: its fees, less the refunds that
    only change quantities (no money moves, nothing goes to Xero)."""
    refunds_move_money = settings.downgrades is DowngradeMode.REFUND
    return [
        line for line in order.lines if is_fee(line) and (refunds_move_money or not is_refund(line))
    ]


@dataclass(frozen=True)
class XeroSide:
    """What one run read of Xero for its batch: the contacts (by id, merge survivors too), the
    items (by code; a code Xero does not know is absent) and the enabled currencies."""

    contacts: Mapping[str, ContactSeen]
    items: Mapping[str, Item]
    currencies: Collection[str]
    organisation: str


def order_hold(
    order: MarketplaceOrder,
    settings: Settings,
    link: CustomerLink,
    mappings: Mapping[str, ProductMapping],
    xero: XeroSide,
) -> str | None:
    """The first reason the order's documents may not go to Xero now, or None. Only what will
    be sent is checked: an order that moves no money sends nothing; an unmapped product, or a
    customer with no contact yet, is the plan's to decide (it says so, or matches and makes)."""
    lines = lines_to_send(order, settings)
    if not lines:
        return None
    if link.xero_contact_id:
        seen = xero.contacts.get(link.xero_contact_id)
        survivor = xero.contacts.get(seen.merged_into) if seen and seen.merged_into else None
        held = contact_hold(link.xero_contact_id, seen, survivor)
        if held:
            return held
    for line in lines:
        mapping = mappings.get(mapping_key(line))
        if mapping is not None:
            held = item_hold(mapping.xero_item_code, xero.items.get(mapping.xero_item_code))
            if held:
                return held
    return currency_hold(order.total.currency, xero.currencies, xero.organisation)


def contacts_to_read(links: Collection[CustomerLink]) -> list[str]:
    """The contact ids a batch's links name, once each, in a stable order."""
    return sorted({link.xero_contact_id for link in links if link.xero_contact_id})


def survivors_to_read(seen: Mapping[str, ContactSeen]) -> list[str]:
    """The contacts merged ones went into that the first read did not bring."""
    return sorted({c.merged_into for c in seen.values() if c.merged_into} - set(seen))
