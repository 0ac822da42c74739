"""The Action Log: entries under the reseller, kept for 400 days."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from cbxero import keys
from cbxero.adapters.dynamo.table import Selection, Table, stamp, to_item
from cbxero.domain.model import ActionLogEntry, LogStatus
from cbxero.ports import ActionLog

if TYPE_CHECKING:
    from cbxero.domain.listing import LogFilter, LogPage

ACTION_LOG_RETENTION = timedelta(days=400)


class DynamoActionLog(Table, ActionLog):
    """Entries under the reseller, newest last in key order (time, then id); unread ones also
    in a sparse index; each findable by its id through another."""

    def add(self, entry: ActionLogEntry) -> None:
        self._client.put_item(TableName=self._table, Item=self._item(entry))

    def _item(self, entry: ActionLogEntry) -> dict[str, Any]:
        document = entry.model_dump(mode="json")
        return to_item(
            {
                keys.PK: entry.reseller_id,
                keys.SK: f"{document['at']}#{entry.entry_id}",
                keys.ENTRY_KEY: f"{entry.reseller_id}#{entry.entry_id}",
                keys.UNREAD_KEY: None if entry.read else entry.reseller_id,
                keys.TTL_ATTRIBUTE: int((entry.at + ACTION_LOG_RETENTION).timestamp()),
                "status": entry.status.value,
                "action": entry.action,
                "customer_id": entry.customer_id,
                "entry": document,
            }
        )

    def page(self, reseller_id: str, wanted: LogFilter) -> LogPage:
        from cbxero.domain.listing import LogPage

        partition = keys.UNREAD_KEY if wanted.unread_only else keys.PK
        index = keys.Index.UNREAD_ENTRIES if wanted.unread_only else None
        selection = (
            Selection(reseller_id, partition=partition, index=index)
            .sort_range(
                keys.SK,
                stamp(wanted.at_from) if wanted.at_from else None,
                stamp(wanted.at_to) + "#~" if wanted.at_to else None,  # any id at that time
            )
            .equal("status", wanted.status.value if wanted.status else None)
            .equal("action", wanted.action)
            .equal("customer_id", wanted.customer_id)
        )
        problem = "#status IN (:error, :act)"
        problems = {":error": LogStatus.ERROR.value, ":act": LogStatus.ACTION_REQUIRED.value}
        if wanted.problems_only:
            selection.where(problem, {"#status": "status"}, problems)
        elif wanted.others_since:
            selection.where(
                f"({problem} OR #e.#at >= :since)",
                {"#status": "status", "#e": "entry", "#at": "at"},
                {**problems, ":since": stamp(wanted.others_since)},
            )
        found, following = self._page(
            reseller_id,
            selection,
            wanted.limit,
            wanted.cursor,
            cursor_keys={keys.PK, keys.SK, partition},
            scope="action-log " + wanted.model_dump_json(exclude={"cursor", "limit"}),
        )
        return LogPage(
            items=[ActionLogEntry.model_validate(item["entry"]) for item in found],
            next_cursor=following,
        )

    def get(self, reseller_id: str, entry_id: str) -> ActionLogEntry | None:
        found = self._query(
            f"{reseller_id}#{entry_id}",
            index=keys.Index.ENTRIES_BY_ID,
            partition=keys.ENTRY_KEY,
            limit=1,
        )
        item = next(found, None)
        return ActionLogEntry.model_validate(item["entry"]) if item else None

    def mark_read(self, reseller_id: str, entry_ids: Sequence[str]) -> int:
        entries = [e for i in entry_ids if (e := self.get(reseller_id, i)) and not e.read]
        for entry in entries:  # written whole again: read, and out of the unread index
            self.add(entry.model_copy(update={"read": True}))
        return len(entries)
