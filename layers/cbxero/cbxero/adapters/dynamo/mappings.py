"""Product mappings (marketplace product to Xero item) in the mappings table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cbxero import keys
from cbxero.adapters.dynamo.table import Table, from_item, item_key
from cbxero.domain.model import ProductMapping
from cbxero.ports import ProductMappingRepository

BATCH_GET_LIMIT = 100


class DynamoProductMappingRepository(Table, ProductMappingRepository):
    PREFIX = "PRODUCT#"

    def get_many(self, reseller_id: str, mpns: Sequence[str]) -> dict[str, ProductMapping]:
        wanted = sorted(set(mpns))
        found: dict[str, ProductMapping] = {}
        for start in range(0, len(wanted), BATCH_GET_LIMIT):
            request: dict[str, Any] = {
                self._table: {
                    "Keys": [
                        item_key(reseller_id, self.PREFIX + m) for m in wanted[start : start + 100]
                    ],
                    "ConsistentRead": True,
                }
            }
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                for raw in response["Responses"].get(self._table, []):
                    mapping = ProductMapping.model_validate(from_item(raw)["mapping"])
                    found[mapping.mpn] = mapping
                request = response.get("UnprocessedKeys") or {}
        return found

    def save(self, mapping: ProductMapping) -> None:
        self._put(
            {
                keys.PK: mapping.reseller_id,
                keys.SK: self.PREFIX + mapping.mpn,
                keys.XERO_ITEM_KEY: f"{mapping.reseller_id}#{mapping.xero_item_code}",
                "mapping": mapping.model_dump(mode="json"),
            }
        )

    def for_reseller(self, reseller_id: str) -> list[ProductMapping]:
        return [
            ProductMapping.model_validate(item["mapping"])
            for item in self._query(reseller_id, sk_prefix=self.PREFIX)
        ]

    def delete(self, reseller_id: str, mpn: str) -> None:
        self._client.delete_item(
            TableName=self._table, Key=item_key(reseller_id, self.PREFIX + mpn)
        )

    def products_for_item(self, reseller_id: str, item_code: str) -> list[str]:
        return list(
            self._ids(
                f"{reseller_id}#{item_code}",
                self.PREFIX,
                index=keys.Index.MAPPINGS_BY_XERO_ITEM,
                partition=keys.XERO_ITEM_KEY,
            )
        )
