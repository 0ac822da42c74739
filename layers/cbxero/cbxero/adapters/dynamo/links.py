"""Customer links (the customer's Xero contact, auto-sync switch and cursor) in the mappings
table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from boto3.dynamodb.types import TypeSerializer

from cbxero import keys
from cbxero.adapters.dynamo.table import Table, conditional, item_key, to_item
from cbxero.domain.model import CustomerLink
from cbxero.ports import CustomerLinkRepository

PREFIX = "CUSTOMER#"
CONTACT_SEEN = "xero_contact_seen_ms"  # when Xero changed the contact, as a number to compare
_typed = TypeSerializer().serialize


def link_item(link: CustomerLink) -> dict[str, Any]:
    """A link as stored: under its reseller, in the sparse auto-sync index while auto-sync is
    on, and findable by its Xero contact while it has one."""
    return {
        keys.PK: link.reseller_id,
        keys.SK: PREFIX + link.customer_id,
        keys.AUTO_SYNC_RESELLER: link.reseller_id if link.auto_sync else None,
        keys.XERO_CONTACT_KEY: f"{link.reseller_id}#{link.xero_contact_id}"
        if link.xero_contact_id
        else None,
        CONTACT_SEEN: _millis(link),
        "link": link.model_dump(mode="json"),
    }


def _millis(link: CustomerLink) -> int | None:
    seen = link.xero_contact_seen_at
    return None if seen is None else int(seen.timestamp() * 1000)


class DynamoCustomerLinkRepository(Table, CustomerLinkRepository):
    PREFIX = PREFIX

    def get(self, reseller_id: str, customer_id: str) -> CustomerLink | None:
        item = self._get(reseller_id, self.PREFIX + customer_id)
        return CustomerLink.model_validate(item["link"]) if item else None

    def save(self, link: CustomerLink) -> None:
        self._put(link_item(link))

    def for_reseller(self, reseller_id: str) -> list[CustomerLink]:
        return [
            CustomerLink.model_validate(item["link"])
            for item in self._query(reseller_id, sk_prefix=self.PREFIX)
        ]

    def auto_sync_customers(self, reseller_id: str, after: str | None = None) -> Iterator[str]:
        start = (
            to_item(
                {
                    keys.AUTO_SYNC_RESELLER: reseller_id,
                    keys.PK: reseller_id,
                    keys.SK: self.PREFIX + after,
                }
            )
            if after
            else None
        )
        return self._ids(
            reseller_id,
            self.PREFIX,
            index=keys.Index.AUTO_SYNC_CUSTOMERS,
            partition=keys.AUTO_SYNC_RESELLER,
            start=start,
        )

    def customers_linked_to(self, reseller_id: str, contact_id: str) -> list[str]:
        return list(
            self._ids(
                f"{reseller_id}#{contact_id}",
                self.PREFIX,
                index=keys.Index.LINKS_BY_XERO_CONTACT,
                partition=keys.XERO_CONTACT_KEY,
            )
        )

    def record_xero_contact(self, link: CustomerLink) -> bool:
        # Only the contact's reading changes: the link's switch and cursor are left as they are.
        document = link.model_dump(mode="json")
        names = {
            "#l": "link",
            "#c": "xero_contact_id",
            "#a": "xero_contact_archived",
            "#m": "xero_contact_merged_into",
            "#s": "xero_contact_seen_at",
            "#n": CONTACT_SEEN,
        }
        values = {
            ":c": _typed(link.xero_contact_id),
            ":a": _typed(link.xero_contact_archived),
            ":m": _typed(link.xero_contact_merged_into),
            ":s": _typed(document["xero_contact_seen_at"]),
            ":n": _typed(_millis(link) or 0),
        }
        written = conditional(
            self._client.update_item,
            TableName=self._table,
            Key=item_key(link.reseller_id, self.PREFIX + link.customer_id),
            UpdateExpression="SET #l.#a = :a, #l.#m = :m, #l.#s = :s, #n = :n",
            # Still linked to that contact, and holding no newer reading of it.
            ConditionExpression="#l.#c = :c AND (attribute_not_exists(#n) OR #n <= :n)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
        return written is not None
