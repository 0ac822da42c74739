"""The start date a reseller chose for history, in the resellers table next to its settings."""

from __future__ import annotations

from cbxero import keys
from cbxero.adapters.dynamo.table import Table
from cbxero.domain.history import HistoryStart
from cbxero.ports import HistoryRecord


class DynamoHistoryRecord(Table, HistoryRecord):
    SK = "HISTORY"

    def get(self, reseller_id: str) -> HistoryStart | None:
        item = self._get(reseller_id, self.SK)
        return HistoryStart.model_validate(item["history"]) if item else None

    def save(self, reseller_id: str, chosen: HistoryStart) -> None:
        self._put(
            {keys.PK: reseller_id, keys.SK: self.SK, "history": chosen.model_dump(mode="json")}
        )
