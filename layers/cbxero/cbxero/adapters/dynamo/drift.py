"""The drift report's records in the mappings table (the reseller's own decisions live there):
acknowledged differences, one item each, and the last scheduled report's counts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from cbxero import keys
from cbxero.adapters.dynamo.table import Table, conditional, stamp, to_item
from cbxero.ports import DriftRecords


class DynamoDriftRecords(Table, DriftRecords):
    IGNORED = "DRIFT#IGNORED#"
    COUNTS = "DRIFT#COUNTS"

    def ignored(self, reseller_id: str) -> frozenset[str]:
        return frozenset(
            str(item[keys.SK]).removeprefix(self.IGNORED)
            for item in self._query(reseller_id, sk_prefix=self.IGNORED)
        )

    def ignore(self, reseller_id: str, key: str, reason: str, actor: str, at: datetime) -> bool:
        item = {
            keys.PK: reseller_id,
            keys.SK: self.IGNORED + key,
            "reason": reason,
            "actor": actor,
            "at": stamp(at),
        }
        written = conditional(
            self._client.put_item,
            TableName=self._table,
            Item=to_item(item),
            ConditionExpression="attribute_not_exists(#pk)",  # the first acknowledgement stays
            ExpressionAttributeNames={"#pk": keys.PK},
        )
        return written is not None

    def save_counts(self, reseller_id: str, counts: Mapping[str, int], at: datetime) -> None:
        self._put(
            {keys.PK: reseller_id, keys.SK: self.COUNTS, "counts": dict(counts), "at": stamp(at)}
        )

    def last_counts(self, reseller_id: str) -> tuple[dict[str, int], datetime] | None:
        item = self._get(reseller_id, self.COUNTS)
        if item is None:
            return None
        counts = {str(kind): int(n) for kind, n in item["counts"].items()}
        return counts, datetime.fromisoformat(str(item["at"]))
