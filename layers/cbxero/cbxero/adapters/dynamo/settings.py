"""Resellers' settings, with the mirrors other functions read: the connection status (the
dispatcher has no token table) and when the notifications level changed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from cbxero import keys
from cbxero.adapters.dynamo.table import (
    Table,
    conditional,
    from_item,
    item_key,
    stamp,
    to_item,
)
from cbxero.domain.connection import ConnectionStatus
from cbxero.domain.settings import AutoSync, Settings
from cbxero.ports import DueReseller, SettingsRepository

CONNECTION_STATUS = "connection_status"
NOTIFICATIONS_SINCE = "notifications_since"


class DynamoSettingsRepository(Table, SettingsRepository):
    SK = "SETTINGS"

    def get(self, reseller_id: str) -> Settings:
        return self.versioned(reseller_id)[0]

    def versioned(self, reseller_id: str) -> tuple[Settings, int]:
        # The item may hold only the connection status mirror until settings are first saved.
        item = self._get(reseller_id, self.SK) or {}
        saved = item.get("settings")
        return (Settings.model_validate(saved) if saved else Settings()), int(
            item.get("version", 0)
        )

    def save_if(self, reseller_id: str, settings: Settings, expected: int | None) -> int | None:
        # An update, not a put: the item also carries the connection status mirror.
        names = {"#s": "settings", "#a": keys.AUTO_SYNC, "#v": "version"}
        values: dict[str, Any] = {":s": settings.model_dump(mode="json"), ":one": 1, ":zero": 0}
        sets = "SET #s = :s, #v = if_not_exists(#v, :zero) + :one"
        if settings.auto_sync is AutoSync.OFF:
            expression = f"{sets} REMOVE #a"  # sparse: only auto-sync resellers are indexed
        else:
            expression = f"{sets}, #a = :a"
            values[":a"] = settings.auto_sync.value
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": item_key(reseller_id, self.SK),
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ReturnValues": "UPDATED_NEW",
        }
        if expected is not None:
            request["ConditionExpression"] = (
                "attribute_not_exists(#v) AND :expected = :zero"
                if expected == 0
                else "#v = :expected"
            )
            values[":expected"] = expected
        request["ExpressionAttributeValues"] = to_item(values)
        answer = conditional(self._client.update_item, **request)
        if answer is None:
            return None
        return int(from_item(answer["Attributes"])["version"])

    def notifications_changed(self, reseller_id: str, at: datetime) -> None:
        self._set(reseller_id, NOTIFICATIONS_SINCE, stamp(at))

    def notifications_since(self, reseller_id: str) -> datetime | None:
        since = (self._get(reseller_id, self.SK) or {}).get(NOTIFICATIONS_SINCE)
        return datetime.fromisoformat(since) if isinstance(since, str) else None

    def resellers_due(self, frequency: AutoSync, after: str | None = None) -> Iterator[DueReseller]:
        start = (
            to_item({keys.AUTO_SYNC: frequency.value, keys.PK: after, keys.SK: self.SK})
            if after
            else None
        )
        for item in self._query(
            frequency.value,
            index=keys.Index.RESELLERS_BY_AUTO_SYNC,
            partition=keys.AUTO_SYNC,
            start=start,
        ):
            yield DueReseller(
                str(item[keys.PK]),
                item.get(CONNECTION_STATUS) == ConnectionStatus.RECONNECT_NEEDED.value,
            )

    def reconnect_needed(self, reseller_id: str) -> bool:
        item = self._get(reseller_id, self.SK) or {}
        return item.get(CONNECTION_STATUS) == ConnectionStatus.RECONNECT_NEEDED.value

    def set_connection_status(self, reseller_id: str, status: ConnectionStatus) -> None:
        self._set(reseller_id, CONNECTION_STATUS, status.value)

    def _set(self, reseller_id: str, attribute: str, value: str) -> None:
        """One attribute of the reseller's item, the others as they are."""
        self._client.update_item(
            TableName=self._table,
            Key=item_key(reseller_id, self.SK),
            UpdateExpression="SET #a = :a",
            ExpressionAttributeNames={"#a": attribute},
            ExpressionAttributeValues=to_item({":a": value}),
        )
