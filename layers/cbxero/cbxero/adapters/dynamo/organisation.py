"""The Xero organisation a reseller's links and mappings belong to (the mappings table)."""

from __future__ import annotations

from cbxero import keys
from cbxero.adapters.dynamo.links import link_item
from cbxero.adapters.dynamo.table import Item, Table, item_key
from cbxero.domain.connection import XeroTenant
from cbxero.domain.model import CustomerLink
from cbxero.ports import OrganisationRecord


class DynamoOrganisationRecord(Table, OrganisationRecord):
    """The organisation a reseller's links and mappings belong to, in the mappings table; links'
    contacts and mappings of an organisation left behind are moved under ARCHIVE#<tenant>#."""

    SK = "ORGANISATION"
    LINK = "CUSTOMER#"
    MAPPING = "PRODUCT#"

    def bound(self, reseller_id: str) -> XeroTenant | None:
        item = self._get(reseller_id, self.SK)
        return XeroTenant.model_validate(item["tenant"]) if item else None

    def bind(self, reseller_id: str, tenant: XeroTenant) -> None:
        self._put(
            {
                keys.PK: reseller_id,
                keys.SK: self.SK,
                "tenant": tenant.model_dump(mode="json", exclude={"connection_id"}),
            }
        )

    def _archive(self, reseller_id: str, tenant: XeroTenant, sk: str, item: Item) -> None:
        kept = {k: v for k, v in item.items() if k in ("link", "mapping")}
        self._put({keys.PK: reseller_id, keys.SK: f"ARCHIVE#{tenant.tenant_id}#{sk}", **kept})

    def set_aside(self, reseller_id: str, tenant: XeroTenant) -> tuple[int, int]:
        links = 0
        for item in self._query(reseller_id, sk_prefix=self.LINK):
            link = CustomerLink.model_validate(item["link"])
            if link.xero_contact_id is None:
                continue
            self._archive(reseller_id, tenant, str(item[keys.SK]), item)
            # The customer keeps its auto-sync switch and cursor; only the contact is set aside.
            self._put(link_item(link.model_copy(update={"xero_contact_id": None})))
            links += 1
        mappings = 0
        for item in self._query(reseller_id, sk_prefix=self.MAPPING):
            self._archive(reseller_id, tenant, str(item[keys.SK]), item)
            self._client.delete_item(
                TableName=self._table, Key=item_key(reseller_id, str(item[keys.SK]))
            )
            mappings += 1
        return links, mappings
