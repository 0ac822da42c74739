"""The dashboard's task figures, read from the status index without reading tasks out: one
query per status, projecting only the order type (the index's partition is reseller#status),
and the oldest task waiting, the first of the new tasks' partition in creation order."""

from __future__ import annotations

from collections import Counter
from typing import Any

from cbxero import keys
from cbxero.adapters.dynamo.table import Table, from_item
from cbxero.domain.model import SyncTask, TaskStatus
from cbxero.ports import TaskFigures

WAITING = (TaskStatus.NEW, TaskStatus.FAILED, TaskStatus.ACTION_REQUIRED)


class DynamoTaskFigures(Table, TaskFigures):
    def by_status_and_type(self, reseller_id: str) -> dict[str, Counter[str]]:
        """Per status, how many tasks of each order type."""
        found: dict[str, Counter[str]] = {}
        for status in TaskStatus:
            tally: Counter[str] = Counter()
            request: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": keys.Index.TASKS_BY_STATUS.value,
                "KeyConditionExpression": "#p = :p",
                "ProjectionExpression": "#t.#o",
                "ExpressionAttributeNames": {
                    "#p": keys.STATUS_KEY,
                    "#t": "task",
                    "#o": "order_type",
                },
                "ExpressionAttributeValues": {":p": {"S": f"{reseller_id}#{status.value}"}},
            }
            while True:
                page = self._client.query(**request)
                for raw in page.get("Items", []):
                    tally[str(from_item(raw).get("task", {}).get("order_type", "unknown"))] += 1
                if "LastEvaluatedKey" not in page:
                    break
                request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
            found[status.value] = tally
        return found

    def oldest_waiting(self, reseller_id: str) -> SyncTask | None:
        """The longest-waiting task among new, failed and waiting-for-action ones."""
        oldest: SyncTask | None = None
        for status in WAITING:
            page = self._client.query(
                TableName=self._table,
                IndexName=keys.Index.TASKS_BY_STATUS.value,
                KeyConditionExpression="#p = :p",
                ExpressionAttributeNames={"#p": keys.STATUS_KEY},
                ExpressionAttributeValues={":p": {"S": f"{reseller_id}#{status.value}"}},
                ScanIndexForward=True,
                Limit=1,
            )
            for raw in page.get("Items", []):
                task = SyncTask.model_validate(from_item(raw)["task"])
                if oldest is None or task.created_at < oldest.created_at:
                    oldest = task
        return oldest
