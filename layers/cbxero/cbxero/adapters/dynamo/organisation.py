"""The Xero organisation a reseller's links and mappings belong to (the mappings table)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from cbxero import keys
from cbxero.adapters.dynamo.links import link_item
from cbxero.adapters.dynamo.table import (
    Item,
    Selection,
    Table,
    conditional,
    item_key,
    stamp,
    to_item,
)
from cbxero.domain.connection import XeroTenant
from cbxero.domain.model import CustomerLink
from cbxero.ports import OrganisationDirectory, OrganisationRecord, PollCursors

BOUND = "bound"  # the one value of the organisations index's partition


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
                keys.ORGANISATION_SHARD: BOUND,
                keys.TENANT_KEY: f"{tenant.tenant_id}#{reseller_id}",
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


class DynamoOrganisationDirectory(Table, OrganisationDirectory):
    """The organisation records through their sparse index (tenant id#reseller)."""

    def resellers_of(self, tenant_id: str) -> list[str]:
        bound = Selection(BOUND, partition=keys.ORGANISATION_SHARD, index=keys.Index.ORGANISATIONS)
        # "~" sorts after every character of a reseller id: the whole tenant's range.
        bound.sort_range(keys.TENANT_KEY, f"{tenant_id}#", f"{tenant_id}#~")
        return [str(item[keys.PK]) for item in self._read(bound)]

    def organisations(self) -> Iterator[tuple[str, str]]:
        for item in self._query(
            BOUND, index=keys.Index.ORGANISATIONS, partition=keys.ORGANISATION_SHARD
        ):
            yield str(item[keys.PK]), str(item[keys.TENANT_KEY]).split("#", 1)[0]


class DynamoPollCursors(Table, PollCursors):
    """Per reseller and organisation, how far a poll has read Xero's changes."""

    PREFIX = "POLL#"

    def get(self, reseller_id: str, tenant_id: str) -> datetime | None:
        item = self._get(reseller_id, self.PREFIX + tenant_id)
        return datetime.fromisoformat(str(item["until"])) if item else None

    def advance(
        self, reseller_id: str, tenant_id: str, to: datetime, expected: datetime | None
    ) -> bool:
        condition = (
            {
                "ConditionExpression": "attribute_not_exists(#pk)",
                "ExpressionAttributeNames": {"#pk": keys.PK},
            }
            if expected is None
            else {
                "ConditionExpression": "#u = :u",
                "ExpressionAttributeNames": {"#u": "until"},
                "ExpressionAttributeValues": to_item({":u": stamp(expected)}),
            }
        )
        item = {keys.PK: reseller_id, keys.SK: self.PREFIX + tenant_id, "until": stamp(to)}
        written = conditional(
            self._client.put_item, TableName=self._table, Item=to_item(item), **condition
        )
        return written is not None
