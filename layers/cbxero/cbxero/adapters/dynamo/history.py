"""The start date a reseller chose for history, in the resellers table next to its settings."""

from __future__ import annotations

from typing import Any

from cbxero.adapters.dynamo.table import Table, conditional, item_key, to_item
from cbxero.domain.history import HistoryStart
from cbxero.ports import HistoryRecord


class DynamoHistoryRecord(Table, HistoryRecord):
    SK = "HISTORY"

    def get(self, reseller_id: str) -> HistoryStart | None:
        item = self._get(reseller_id, self.SK)
        return HistoryStart.model_validate(item["history"]) if item else None

    def save(self, reseller_id: str, chosen: HistoryStart, *, first_only: bool = False) -> bool:
        # An update (the functions that choose may update reseller items, not put them).
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": item_key(reseller_id, self.SK),
            "UpdateExpression": "SET #h = :h",
            "ExpressionAttributeNames": {"#h": "history"},
            "ExpressionAttributeValues": to_item({":h": chosen.model_dump(mode="json")}),
        }
        if first_only:
            request["ConditionExpression"] = "attribute_not_exists(#h)"
        return conditional(self._client.update_item, **request) is not None
