"""What every DynamoDB repository shares: the typed-value conversion, the primary key, reads
and paged queries, and the one check for a condition that failed (single writes and
transactions alike; the rate governor uses it too)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from cbxero import keys
from cbxero.adapters.cursors import CursorSeal

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Item = dict[str, Any]
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """Plain values (str, int, bool, list, dict, Decimal) to DynamoDB's typed form, None omitted."""
    return {
        name: _serializer.serialize(value) for name, value in values.items() if value is not None
    }


def from_item(item: Mapping[str, Any]) -> Item:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def item_key(pk: str, sk: str) -> dict[str, Any]:
    return to_item({keys.PK: pk, keys.SK: sk})


def conditional_failure(error: ClientError) -> bool:
    """The write's condition did not hold (anything else is a real error)."""
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def failed_conditions(error: ClientError) -> list[bool] | None:
    """For a cancelled transaction, which writes failed their condition (in order); None when
    the error is no cancellation or no write failed a condition (then it is a real error)."""
    reasons = error.response.get("CancellationReasons")
    if not reasons:
        return None
    failed = [reason.get("Code") == "ConditionalCheckFailed" for reason in reasons]
    return failed if any(failed) else None


def stamp(at: datetime) -> str:
    """A time as the stored documents hold it (pydantic's JSON form), for key ranges."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def key_range(name: str, values: dict[str, Any], low: str | None, high: str | None) -> str:
    """A sort-key condition for a range open at either end (BETWEEN needs low <= high, and a
    placeholder bound would not be: "9999-..." sorts after "9")."""
    if low is not None:
        values[":from"] = low
    if high is not None:
        values[":to"] = high
    if low is not None and high is not None:
        return f" AND {name} BETWEEN :from AND :to"
    return f" AND {name} >= :from" if low is not None else f" AND {name} <= :to"


class Table:
    """One table's client and name; the lists' repositories also seal their page cursors."""

    def __init__(
        self, client: DynamoDBClient, table_name: str, *, cursors: CursorSeal | None = None
    ) -> None:
        self._client = client
        self._table = table_name
        self._cursors = cursors or CursorSeal()  # only the lists' repositories use it

    def _get(self, pk: str, sk: str) -> Item | None:
        response = self._client.get_item(
            TableName=self._table, Key=item_key(pk, sk), ConsistentRead=True
        )
        return from_item(response["Item"]) if "Item" in response else None

    def _query(
        self,
        pk_value: str,
        *,
        index: keys.Index | None = None,
        partition: str = keys.PK,
        sk_prefix: str | None = None,
        forward: bool = True,
        limit: int | None = None,
        start: dict[str, Any] | None = None,
    ) -> Iterator[Item]:
        condition = "#p = :p"
        names = {"#p": partition}
        values: dict[str, Any] = {":p": pk_value}
        if sk_prefix is not None:
            condition += " AND begins_with(#s, :s)"
            names["#s"] = keys.SK
            values[":s"] = sk_prefix
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": to_item(values),
            "ScanIndexForward": forward,
        }
        if index is not None:
            request["IndexName"] = index.value
        if start is not None:
            request["ExclusiveStartKey"] = start
        yielded = 0
        while True:
            if limit is not None:
                request["Limit"] = limit - yielded
            page = self._client.query(**request)
            for raw in page.get("Items", []):
                yield from_item(raw)
                yielded += 1
            if "LastEvaluatedKey" not in page or (limit is not None and yielded >= limit):
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _page(
        self,
        reseller_id: str,
        index: keys.Index | None,
        condition: str,
        names: dict[str, str],
        values: dict[str, Any],
        filters: list[str],
        limit: int,
        cursor: str | None,
        *,
        cursor_keys: set[str],
        scope: str,
    ) -> tuple[list[Item], str | None]:
        """One page, newest first, of a query that may filter: pages are read until `limit`
        items matched; the cursor names the last one returned, signed for this reseller and
        `scope` (the list and its filters): no other cursor is taken back."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": to_item(values),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if index is not None:
            request["IndexName"] = index.value
        if filters:
            request["FilterExpression"] = " AND ".join(filters)
        if cursor:
            request["ExclusiveStartKey"] = self._cursors.open(reseller_id, scope, cursor)
        found: list[dict[str, Any]] = []
        while True:
            response = self._client.query(**request)
            found.extend(response.get("Items", []))
            if len(found) >= limit:
                last = found[limit - 1]
                start = {k: v for k, v in last.items() if k in cursor_keys}
                following = self._cursors.seal(reseller_id, scope, start)
                return [from_item(raw) for raw in found[:limit]], following
            if "LastEvaluatedKey" not in response:
                return [from_item(raw) for raw in found], None
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
