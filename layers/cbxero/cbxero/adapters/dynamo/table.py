"""What every DynamoDB repository shares: the typed-value conversion, the primary key, reads
and paged queries, and the one check for a condition that failed (single writes and
transactions alike; the rate governor uses it too)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
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


def conditional(write: Callable[..., Any], **request: Any) -> Any | None:
    """A conditional write's answer, or None when its condition did not hold."""
    try:
        return write(**request)
    except ClientError as error:
        if conditional_failure(error):
            return None
        raise


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


class Selection:
    """What a query reads: one partition of the table or an index, optionally a range of sort
    keys, and filters; each part names its placeholders as it is added."""

    def __init__(
        self, value: str, *, partition: str = keys.PK, index: keys.Index | None = None
    ) -> None:
        self.index = index
        self._condition = "#p = :p"
        self._names = {"#p": partition}
        self._values: dict[str, Any] = {":p": value}
        self._filters: list[str] = []

    def sort_prefix(self, prefix: str) -> Selection:
        self._names["#s"] = keys.SK
        self._values[":s"] = prefix
        self._condition += " AND begins_with(#s, :s)"
        return self

    def sort_range(
        self, attribute: str, low: str | int | None, high: str | int | None
    ) -> Selection:
        """Sort keys from low to high, either end open (BETWEEN needs low <= high, and a
        placeholder bound would not be: "9999-..." sorts after "9")."""
        if low is None and high is None:
            return self
        self._names["#s"] = attribute
        if low is not None:
            self._values[":from"] = low
        if high is not None:
            self._values[":to"] = high
        if low is not None and high is not None:
            self._condition += " AND #s BETWEEN :from AND :to"
        else:
            self._condition += " AND #s >= :from" if low is not None else " AND #s <= :to"
        return self

    def equal(self, path: str, value: str | None) -> Selection:
        """Only items whose attribute (or dotted path into a map) is value; None: any."""
        if value is None:
            return self
        n = len(self._filters)
        parts = [f"#f{n}_{depth}" for depth in range(path.count(".") + 1)]
        self._names.update(zip(parts, path.split("."), strict=True))
        self._values[f":f{n}"] = value
        self._filters.append(f"{'.'.join(parts)} = :f{n}")
        return self

    def where(self, expression: str, names: dict[str, str], values: dict[str, Any]) -> Selection:
        """Only items the filter expression holds for (its own placeholders)."""
        self._names.update(names)
        self._values.update(values)
        self._filters.append(expression)
        return self

    def request(self, table: str, *, forward: bool) -> dict[str, Any]:
        request: dict[str, Any] = {
            "TableName": table,
            "KeyConditionExpression": self._condition,
            "ExpressionAttributeNames": self._names,
            "ExpressionAttributeValues": to_item(self._values),
            "ScanIndexForward": forward,
        }
        if self.index is not None:
            request["IndexName"] = self.index.value
        if self._filters:
            request["FilterExpression"] = " AND ".join(self._filters)
        return request


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

    def _put(self, values: Mapping[str, Any]) -> None:
        """Write an item whole, from plain values (None leaves an attribute out)."""
        self._client.put_item(TableName=self._table, Item=to_item(values))

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
        selection = Selection(pk_value, partition=partition, index=index)
        if sk_prefix is not None:
            selection.sort_prefix(sk_prefix)
        return self._read(selection, forward=forward, limit=limit, start=start)

    def _read(
        self,
        selection: Selection,
        *,
        forward: bool = True,
        limit: int | None = None,
        start: dict[str, Any] | None = None,
    ) -> Iterator[Item]:
        """Every item selected (at most `limit`), reading page after page."""
        request = selection.request(self._table, forward=forward)
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

    def _ids(
        self,
        value: str,
        prefix: str,
        *,
        index: keys.Index,
        partition: str,
        start: dict[str, Any] | None = None,
    ) -> Iterator[str]:
        """The ids (sort key less `prefix`) of the items an index holds under `value`."""
        for item in self._query(value, index=index, partition=partition, start=start):
            yield str(item[keys.SK]).removeprefix(prefix)

    def _page(
        self,
        reseller_id: str,
        selection: Selection,
        limit: int,
        cursor: str | None,
        *,
        cursor_keys: set[str],
        scope: str,
    ) -> tuple[list[Item], str | None]:
        """One page, newest first, of a query that may filter: pages are read until `limit`
        items matched; the cursor names the last one returned, signed for this reseller and
        `scope` (the list and its filters): no other cursor is taken back."""
        request = selection.request(self._table, forward=False)
        request["Limit"] = limit
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
