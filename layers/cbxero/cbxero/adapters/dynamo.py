"""DynamoDB repositories. Each takes its client and table name; key names come from cbxero.keys."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from cbxero import keys
from cbxero.adapters.cursors import CursorSeal
from cbxero.domain.model import (
    ActionLogEntry,
    ConnectionStatus,
    ConnectStart,
    CustomerLink,
    LogStatus,
    PendingGrant,
    ProductMapping,
    StateLookup,
    SyncTask,
    TokenSet,
    XeroConnection,
    XeroTenant,
)
from cbxero.domain.settings import AutoSync, Settings
from cbxero.ports import (
    ActionLog,
    ConnectionRepository,
    CustomerLinkRepository,
    DueReseller,
    OAuthStateStore,
    OrganisationRecord,
    PendingGrantStore,
    ProductMappingRepository,
    SettingsRepository,
    TaskRepository,
    TokenCipher,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from cbxero.domain.listing import LogFilter, LogPage, TaskFilter, TaskPage

Item = dict[str, Any]
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
ACTION_LOG_RETENTION = timedelta(days=400)
CONNECTION_STATUS = "connection_status"
NOTIFICATIONS_SINCE = "notifications_since"
BATCH_GET_LIMIT = 100
TRANSACTION_LIMIT = 100


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """Plain values (str, int, bool, list, dict, Decimal) to DynamoDB's typed form, None omitted."""
    return {
        name: _serializer.serialize(value) for name, value in values.items() if value is not None
    }


def from_item(item: Mapping[str, Any]) -> Item:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def _key(pk: str, sk: str) -> dict[str, Any]:
    return to_item({keys.PK: pk, keys.SK: sk})


def _is_conditional_failure(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class _Table:
    def __init__(
        self, client: DynamoDBClient, table_name: str, *, cursors: CursorSeal | None = None
    ) -> None:
        self._client = client
        self._table = table_name
        self._cursors = cursors or CursorSeal()  # only the lists' repositories use it

    def _get(self, pk: str, sk: str) -> Item | None:
        response = self._client.get_item(
            TableName=self._table, Key=_key(pk, sk), ConsistentRead=True
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


class DynamoSettingsRepository(_Table, SettingsRepository):
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

    def save(self, reseller_id: str, settings: Settings) -> None:
        self.save_if(reseller_id, settings, None)

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
            "Key": _key(reseller_id, self.SK),
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
        try:
            answer = self._client.update_item(**request)
        except ClientError as error:
            if _is_conditional_failure(error):
                return None
            raise
        return int(from_item(answer["Attributes"])["version"])

    def notifications_changed(self, reseller_id: str, at: datetime) -> None:
        self._client.update_item(
            TableName=self._table,
            Key=_key(reseller_id, self.SK),
            UpdateExpression="SET #n = :n",
            ExpressionAttributeNames={"#n": NOTIFICATIONS_SINCE},
            ExpressionAttributeValues=to_item({":n": _stamp(at)}),
        )

    def notifications_since(self, reseller_id: str) -> datetime | None:
        stamp = (self._get(reseller_id, self.SK) or {}).get(NOTIFICATIONS_SINCE)
        return datetime.fromisoformat(stamp) if isinstance(stamp, str) else None

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
        self._client.update_item(
            TableName=self._table,
            Key=_key(reseller_id, self.SK),
            UpdateExpression="SET #c = :c",
            ExpressionAttributeNames={"#c": CONNECTION_STATUS},
            ExpressionAttributeValues=to_item({":c": status.value}),
        )


class DynamoConnectionRepository(_Table, ConnectionRepository):
    """Connections in the token table; the tokens themselves are sealed by the cipher (KMS)."""

    SK = "CONNECTION"

    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        cipher: TokenCipher,
        mirror: Callable[[str, ConnectionStatus], None] | None = None,
    ) -> None:
        super().__init__(client, table_name)
        self._cipher = cipher
        # Told each connection status written, for the reseller's item (see SettingsRepository).
        self._mirror = mirror

    @staticmethod
    def _pk(reseller_id: str) -> str:
        return f"RESELLER#{reseller_id}"

    def get(self, reseller_id: str) -> XeroConnection | None:
        item = self._get(self._pk(reseller_id), self.SK)
        if item is None:
            return None
        document = dict(item["connection"])
        if "sealed_tokens" in item:
            opened = self._cipher.open(reseller_id, bytes(item["sealed_tokens"]))
            document["tokens"] = json.loads(opened)
        return XeroConnection.model_validate(document)

    def save(self, connection: XeroConnection, *, expected_version: int | None) -> bool:
        document = connection.model_dump(mode="json", exclude={"tokens"})
        sealed = None
        if connection.tokens is not None:
            plaintext = json.dumps(_token_document(connection.tokens)).encode()
            sealed = self._cipher.seal(connection.reseller_id, plaintext)
        request: dict[str, Any] = {
            "TableName": self._table,
            "Item": to_item(
                {
                    keys.PK: self._pk(connection.reseller_id),
                    keys.SK: self.SK,
                    "version": connection.version,
                    # Nested, so that the table's TTL attribute never sees the token's expiry.
                    "connection": document,
                    "sealed_tokens": sealed,
                }
            ),
        }
        if expected_version is None:
            request["ConditionExpression"] = "attribute_not_exists(#pk)"
            request["ExpressionAttributeNames"] = {"#pk": keys.PK}
        else:
            request["ConditionExpression"] = "#v = :v"
            request["ExpressionAttributeNames"] = {"#v": "version"}
            request["ExpressionAttributeValues"] = to_item({":v": expected_version})
        try:
            self._client.put_item(**request)
        except ClientError as error:
            if _is_conditional_failure(error):
                return False
            raise
        if self._mirror is not None:
            self._mirror(connection.reseller_id, connection.status)
        return True

    def delete(self, reseller_id: str) -> None:
        self._client.delete_item(TableName=self._table, Key=_key(self._pk(reseller_id), self.SK))
        if self._mirror is not None:
            self._mirror(reseller_id, ConnectionStatus.NOT_CONNECTED)

    def lease_refresh(
        self, reseller_id: str, version: int, holder: str, now: datetime, until: datetime
    ) -> bool:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(self._pk(reseller_id), self.SK),
                UpdateExpression="SET lease_holder = :me, lease_until_ms = :until",
                ConditionExpression=(
                    "version = :v AND (attribute_not_exists(lease_until_ms)"
                    " OR lease_until_ms < :now OR lease_holder = :me)"
                ),
                ExpressionAttributeValues=to_item(
                    {
                        ":me": holder,
                        ":until": int(until.timestamp() * 1000),
                        ":v": version,
                        ":now": int(now.timestamp() * 1000),
                    }
                ),
            )
        except ClientError as error:
            if _is_conditional_failure(error):
                return False
            raise
        return True


def _token_document(tokens: TokenSet) -> dict[str, Any]:
    return {
        "access_token": tokens.access_token.get_secret_value(),
        "refresh_token": tokens.refresh_token.get_secret_value(),
        "expires_at": tokens.expires_at.isoformat(),
        "scopes": list(tokens.scopes),
    }


class DynamoOAuthStateStore(_Table, OAuthStateStore):
    """States in the token table. A used state is marked, not deleted, until its TTL: a replay
    is then known, and its user can be sent back to the store page."""

    SK = "STATE"

    def put(self, state: str, start: ConnectStart, expires_at: datetime) -> None:
        self._client.put_item(
            TableName=self._table,
            Item=to_item(
                {
                    keys.PK: f"STATE#{state}",
                    keys.SK: self.SK,
                    "start": start.model_dump(mode="json"),
                    keys.TTL_ATTRIBUTE: int(expires_at.timestamp()),
                }
            ),
            ConditionExpression="attribute_not_exists(#pk)",
            ExpressionAttributeNames={"#pk": keys.PK},
        )

    def consume(self, state: str, now: datetime) -> StateLookup:
        stamp = int(now.timestamp())
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=_key(f"STATE#{state}", self.SK),
                UpdateExpression="SET used_at = :now",
                # TTL deletion lags by hours, so expiry is checked here too.
                ConditionExpression=(
                    "attribute_exists(#pk) AND attribute_not_exists(used_at) AND #exp > :now"
                ),
                ExpressionAttributeNames={"#pk": keys.PK, "#exp": keys.TTL_ATTRIBUTE},
                ExpressionAttributeValues=to_item({":now": stamp}),
                ReturnValues="ALL_OLD",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not _is_conditional_failure(error):
                raise
            raw: Any = error.response.get("Item")
            if not raw:
                return StateLookup()
            old = from_item(raw)
            problem = "used" if "used_at" in old else "expired"
            return StateLookup(start=ConnectStart.model_validate(old["start"]), problem=problem)
        old = from_item(response["Attributes"])
        return StateLookup(start=ConnectStart.model_validate(old["start"]))


class DynamoPendingGrantStore(_Table, PendingGrantStore):
    """Pending consents in the token table, under the hash of their handle (the handle itself
    lives only in the browser), tokens sealed like a connection's."""

    SK = "PENDING_GRANT"
    BY_EXPIRY = "PENDING_GRANTS_BY_EXPIRY"

    def __init__(self, client: DynamoDBClient, table_name: str, cipher: TokenCipher) -> None:
        super().__init__(client, table_name)
        self._cipher = cipher

    @staticmethod
    def _pk(handle: str) -> str:
        return "FLOW#" + hashlib.sha256(handle.encode()).hexdigest()

    def hold(self, handle: str, grant: PendingGrant, expires_at: datetime) -> None:
        reseller_id = grant.start.reseller_id
        sealed = self._cipher.seal(reseller_id, json.dumps(_token_document(grant.tokens)).encode())
        # A pointer by expiry first, so that a consent nobody finishes is found and released.
        self._client.put_item(
            TableName=self._table,
            Item=to_item(
                {
                    keys.PK: self.BY_EXPIRY,
                    keys.SK: self._expiry_key(expires_at, self._pk(handle)),
                    "grant_pk": self._pk(handle),
                    keys.TTL_ATTRIBUTE: int((expires_at + timedelta(days=1)).timestamp()),
                }
            ),
        )
        self._client.put_item(
            TableName=self._table,
            Item=to_item(
                {
                    keys.PK: self._pk(handle),
                    keys.SK: self.SK,
                    "grant": grant.model_dump(mode="json", exclude={"tokens"}),
                    "sealed_tokens": sealed,
                    "pending_until": int(expires_at.timestamp()),
                    # Kept a day past its time, for the sweep to find it and release it at Xero.
                    keys.TTL_ATTRIBUTE: int((expires_at + timedelta(days=1)).timestamp()),
                }
            ),
            ConditionExpression="attribute_not_exists(#pk)",
            ExpressionAttributeNames={"#pk": keys.PK},
        )

    @staticmethod
    def _expiry_key(expires_at: datetime, grant_pk: str) -> str:
        return f"{int(expires_at.timestamp()):012d}#{grant_pk}"

    def take(self, handle: str, now: datetime) -> tuple[PendingGrant, bool] | None:
        return self._take(self._pk(handle), now)

    def take_abandoned(self, now: datetime, limit: int = 100) -> list[PendingGrant]:
        ripe = self._client.query(
            TableName=self._table,
            KeyConditionExpression="#p = :p AND #s < :now",
            ExpressionAttributeNames={"#p": keys.PK, "#s": keys.SK},
            ExpressionAttributeValues=to_item(
                {":p": self.BY_EXPIRY, ":now": f"{int(now.timestamp()):012d}#"}
            ),
            Limit=limit,
        ).get("Items", [])
        released = []
        for raw in ripe:
            pointer = from_item(raw)
            taken = self._take(str(pointer["grant_pk"]), now)
            if taken is not None:
                released.append(taken[0])
            self._client.delete_item(
                TableName=self._table, Key=_key(self.BY_EXPIRY, str(pointer[keys.SK]))
            )
        return released

    def _take(self, grant_pk: str, now: datetime) -> tuple[PendingGrant, bool] | None:
        try:
            response = self._client.delete_item(
                TableName=self._table,
                Key=_key(grant_pk, self.SK),
                ConditionExpression="attribute_exists(#pk)",
                ExpressionAttributeNames={"#pk": keys.PK},
                ReturnValues="ALL_OLD",
            )
        except ClientError as error:
            if _is_conditional_failure(error):
                return None
            raise
        old = from_item(response["Attributes"])
        document = dict(old["grant"])
        opened = self._cipher.open(document["start"]["reseller_id"], bytes(old["sealed_tokens"]))
        document["tokens"] = json.loads(opened)
        live = int(old["pending_until"]) > int(now.timestamp())
        return PendingGrant.model_validate(document), live


class DynamoOrganisationRecord(_Table, OrganisationRecord):
    """The organisation a reseller's links and mappings belong to, in the mappings table; links'
    contacts and mappings of an organisation left behind are moved under ARCHIVE#<tenant>#."""

    SK = "ORGANISATION"
    LINK = "CUSTOMER#"
    MAPPING = "PRODUCT#"

    def bound(self, reseller_id: str) -> XeroTenant | None:
        item = self._get(reseller_id, self.SK)
        return XeroTenant.model_validate(item["tenant"]) if item else None

    def bind(self, reseller_id: str, tenant: XeroTenant) -> None:
        self._client.put_item(
            TableName=self._table,
            Item=to_item(
                {
                    keys.PK: reseller_id,
                    keys.SK: self.SK,
                    "tenant": tenant.model_dump(mode="json", exclude={"connection_id"}),
                }
            ),
        )

    def _archive(self, reseller_id: str, tenant: XeroTenant, sk: str, item: Item) -> None:
        kept = {k: v for k, v in item.items() if k in ("link", "mapping")}
        self._client.put_item(
            TableName=self._table,
            Item=to_item(
                {keys.PK: reseller_id, keys.SK: f"ARCHIVE#{tenant.tenant_id}#{sk}", **kept}
            ),
        )

    def set_aside(self, reseller_id: str, tenant: XeroTenant) -> tuple[int, int]:
        links = 0
        for item in self._query(reseller_id, sk_prefix=self.LINK):
            link = CustomerLink.model_validate(item["link"])
            if link.xero_contact_id is None:
                continue
            self._archive(reseller_id, tenant, str(item[keys.SK]), item)
            # The customer keeps its auto-sync switch and cursor; only the contact is set aside.
            kept = link.model_copy(update={"xero_contact_id": None})
            self._client.put_item(
                TableName=self._table,
                Item=to_item(
                    {
                        keys.PK: reseller_id,
                        keys.SK: item[keys.SK],
                        keys.AUTO_SYNC_RESELLER: reseller_id if kept.auto_sync else None,
                        "link": kept.model_dump(mode="json"),
                    }
                ),
            )
            links += 1
        mappings = 0
        for item in self._query(reseller_id, sk_prefix=self.MAPPING):
            self._archive(reseller_id, tenant, str(item[keys.SK]), item)
            self._client.delete_item(
                TableName=self._table, Key=_key(reseller_id, str(item[keys.SK]))
            )
            mappings += 1
        return links, mappings


class DynamoCustomerLinkRepository(_Table, CustomerLinkRepository):
    PREFIX = "CUSTOMER#"

    def get(self, reseller_id: str, customer_id: str) -> CustomerLink | None:
        item = self._get(reseller_id, self.PREFIX + customer_id)
        return CustomerLink.model_validate(item["link"]) if item else None

    def save(self, link: CustomerLink) -> None:
        self._client.put_item(
            TableName=self._table,
            Item=to_item(
                {
                    keys.PK: link.reseller_id,
                    keys.SK: self.PREFIX + link.customer_id,
                    keys.AUTO_SYNC_RESELLER: link.reseller_id if link.auto_sync else None,
                    keys.XERO_CONTACT_KEY: f"{link.reseller_id}#{link.xero_contact_id}"
                    if link.xero_contact_id
                    else None,
                    "link": link.model_dump(mode="json"),
                }
            ),
        )

    def for_reseller(self, reseller_id: str) -> list[CustomerLink]:
        return [
            CustomerLink.model_validate(item["link"])
            for item in self._query(reseller_id, sk_prefix=self.PREFIX)
        ]

    def auto_sync_customers(self, reseller_id: str, after: str | None = None) -> Iterator[str]:
        start = (
            to_item(
                {
                    keys.AUTO_SYNC_RESELLER: reseller_id,
                    keys.PK: reseller_id,
                    keys.SK: self.PREFIX + after,
                }
            )
            if after
            else None
        )
        for item in self._query(
            reseller_id,
            index=keys.Index.AUTO_SYNC_CUSTOMERS,
            partition=keys.AUTO_SYNC_RESELLER,
            start=start,
        ):
            yield str(item[keys.SK]).removeprefix(self.PREFIX)

    def customers_linked_to(self, reseller_id: str, contact_id: str) -> list[str]:
        return [
            str(item[keys.SK]).removeprefix(self.PREFIX)
            for item in self._query(
                f"{reseller_id}#{contact_id}",
                index=keys.Index.LINKS_BY_XERO_CONTACT,
                partition=keys.XERO_CONTACT_KEY,
            )
        ]


class DynamoProductMappingRepository(_Table, ProductMappingRepository):
    PREFIX = "PRODUCT#"

    def get_many(self, reseller_id: str, mpns: Sequence[str]) -> dict[str, ProductMapping]:
        wanted = sorted(set(mpns))
        found: dict[str, ProductMapping] = {}
        for start in range(0, len(wanted), BATCH_GET_LIMIT):
            request: dict[str, Any] = {
                self._table: {
                    "Keys": [
                        _key(reseller_id, self.PREFIX + m) for m in wanted[start : start + 100]
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
        self._client.put_item(
            TableName=self._table,
            Item=to_item(
                {
                    keys.PK: mapping.reseller_id,
                    keys.SK: self.PREFIX + mapping.mpn,
                    keys.XERO_ITEM_KEY: f"{mapping.reseller_id}#{mapping.xero_item_code}",
                    "mapping": mapping.model_dump(mode="json"),
                }
            ),
        )

    def for_reseller(self, reseller_id: str) -> list[ProductMapping]:
        return [
            ProductMapping.model_validate(item["mapping"])
            for item in self._query(reseller_id, sk_prefix=self.PREFIX)
        ]

    def delete(self, reseller_id: str, mpn: str) -> None:
        self._client.delete_item(TableName=self._table, Key=_key(reseller_id, self.PREFIX + mpn))

    def products_for_item(self, reseller_id: str, item_code: str) -> list[str]:
        return [
            str(item[keys.SK]).removeprefix(self.PREFIX)
            for item in self._query(
                f"{reseller_id}#{item_code}",
                index=keys.Index.MAPPINGS_BY_XERO_ITEM,
                partition=keys.XERO_ITEM_KEY,
            )
        ]


class DynamoTaskRepository(_Table, TaskRepository):
    PREFIX = "TASK#"

    RETRY_SHARD = "due"

    def _item(self, task: SyncTask) -> dict[str, Any]:
        document = task.model_dump(mode="json")
        return to_item(
            {
                keys.PK: task.reseller_id,
                keys.SK: self.PREFIX + task.task_id,
                keys.STATUS_KEY: f"{task.reseller_id}#{task.status.value}",
                keys.CREATED_AT: document["created_at"],
                # Sparse indexes: open tasks by customer, and tasks with a time to look again.
                keys.OPEN_KEY: None if task.is_final else f"{task.reseller_id}#{task.customer_id}",
                keys.RETRY_SHARD: self.RETRY_SHARD if task.retry_at else None,
                keys.RETRY_AT: int(task.retry_at.timestamp()) if task.retry_at else None,
                "customer_id": task.customer_id,
                "task": document,
            }
        )

    def add_if_absent(self, task: SyncTask) -> bool:
        try:
            self._client.put_item(
                TableName=self._table,
                Item=self._item(task),
                ConditionExpression="attribute_not_exists(#pk)",
                ExpressionAttributeNames={"#pk": keys.PK},
            )
        except ClientError as error:
            if _is_conditional_failure(error):
                return False
            raise
        return True

    def get(self, reseller_id: str, task_id: str) -> SyncTask | None:
        item = self._get(reseller_id, self.PREFIX + task_id)
        return SyncTask.model_validate(item["task"]) if item else None

    def add_many_if_absent(self, tasks: Sequence[SyncTask]) -> list[bool]:
        return self._transact(
            [
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": self._item(task),
                        "ConditionExpression": "attribute_not_exists(#pk)",
                        "ExpressionAttributeNames": {"#pk": keys.PK},
                    }
                }
                for task in tasks
            ]
        )

    def replace_many(self, changes: Sequence[tuple[SyncTask, SyncTask]]) -> list[bool]:
        return self._transact(
            [
                {"Put": {"TableName": self._table, "Item": self._item(task), **_same(previous)}}
                for task, previous in changes
            ]
        )

    def _transact(self, writes: list[dict[str, Any]]) -> list[bool]:
        """Conditional writes, up to 100 to a transaction. A transaction fails whole when one
        condition fails; those writes are then dropped and the rest tried again."""
        keys_written = [json.dumps(_written_key(w), sort_keys=True) for w in writes]
        if len(set(keys_written)) != len(keys_written):
            # AWS refuses the whole transaction (ValidationException, no cancellation reasons);
            # DynamoDB Local cancels one write instead. Refuse here, the same everywhere.
            raise ValueError("one transaction may not write the same item twice")
        done = [False] * len(writes)
        for start in range(0, len(writes), TRANSACTION_LIMIT):
            pending = list(range(start, min(start + TRANSACTION_LIMIT, len(writes))))
            while pending:
                try:
                    self._client.transact_write_items(
                        TransactItems=[writes[n] for n in pending]  # type: ignore[misc]
                    )
                except ClientError as error:
                    reasons = error.response.get("CancellationReasons")
                    if not reasons:
                        raise
                    failed = {
                        n
                        for n, reason in zip(pending, reasons, strict=True)
                        if reason.get("Code") == "ConditionalCheckFailed"
                    }
                    if not failed:
                        raise
                    pending = [n for n in pending if n not in failed]
                    continue
                for n in pending:
                    done[n] = True
                pending = []
        return done

    def replace(self, task: SyncTask, *, previous: SyncTask) -> bool:
        try:
            self._client.put_item(TableName=self._table, Item=self._item(task), **_same(previous))
        except ClientError as error:
            if _is_conditional_failure(error):
                return False
            raise
        return True

    def for_reseller(self, reseller_id: str, *, customer_id: str | None = None) -> list[SyncTask]:
        tasks = [
            SyncTask.model_validate(item["task"])
            for item in self._query(reseller_id, sk_prefix=self.PREFIX)
        ]
        return [t for t in tasks if customer_id is None or t.customer_id == customer_id]

    def page(self, reseller_id: str, wanted: TaskFilter) -> TaskPage:
        from cbxero.domain.listing import TaskPage  # only the Settings function lists tasks

        if wanted.status is not None:
            index, partition = keys.Index.TASKS_BY_STATUS, keys.STATUS_KEY
            value = f"{reseller_id}#{wanted.status.value}"
        else:
            index, partition, value = keys.Index.TASKS_BY_CREATION, keys.PK, reseller_id
        condition = "#p = :p"
        names = {"#p": partition}
        values: dict[str, Any] = {":p": value}
        if wanted.created_from or wanted.created_to:
            names["#c"] = keys.CREATED_AT
            condition += _range(
                "#c",
                values,
                _stamp(wanted.created_from) if wanted.created_from else None,
                _stamp(wanted.created_to) if wanted.created_to else None,
            )
        filters = []
        if wanted.order_type is not None:
            names.update({"#t": "task", "#o": "order_type"})
            values[":o"] = wanted.order_type.value
            filters.append("#t.#o = :o")
        if wanted.customer_id is not None:
            names["#cu"] = "customer_id"
            values[":cu"] = wanted.customer_id
            filters.append("#cu = :cu")
        found, following = self._page(
            reseller_id,
            index,
            condition,
            names,
            values,
            filters,
            wanted.limit,
            wanted.cursor,
            cursor_keys={keys.PK, keys.SK, keys.CREATED_AT, partition},
            scope="tasks " + wanted.model_dump_json(exclude={"cursor", "limit"}),
        )
        return TaskPage(
            items=[SyncTask.model_validate(item["task"]) for item in found],
            next_cursor=following,
        )

    def open_for_customer(self, reseller_id: str, customer_id: str) -> list[SyncTask]:
        return [
            SyncTask.model_validate(item["task"])
            for item in self._query(
                f"{reseller_id}#{customer_id}",
                index=keys.Index.OPEN_TASKS_BY_CUSTOMER,
                partition=keys.OPEN_KEY,
            )
        ]

    def due_for_retry(self, now: datetime) -> Iterator[tuple[str, str]]:
        seen: set[tuple[str, str]] = set()
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": keys.Index.TASKS_DUE_FOR_RETRY.value,
            "KeyConditionExpression": "#s = :s AND #r <= :now",
            "ExpressionAttributeNames": {"#s": keys.RETRY_SHARD, "#r": keys.RETRY_AT},
            "ExpressionAttributeValues": to_item(
                {":s": self.RETRY_SHARD, ":now": int(now.timestamp())}
            ),
        }
        while True:
            page = self._client.query(**request)
            for raw in page.get("Items", []):
                item = from_item(raw)
                pair = (str(item[keys.PK]), str(item["customer_id"]))
                if pair not in seen:
                    seen.add(pair)
                    yield pair
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _written_key(write: dict[str, Any]) -> tuple[str, Any, Any]:
    """The table and primary key a transaction's write touches."""
    ((_kind, body),) = write.items()
    item = body.get("Item") or body.get("Key") or {}
    return (body["TableName"], item.get(keys.PK), item.get(keys.SK))


def _stamp(at: datetime) -> str:
    """A time as the task documents store it (pydantic's JSON form), for key ranges."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _range(name: str, values: dict[str, Any], low: str | None, high: str | None) -> str:
    """A sort-key condition for a range open at either end (BETWEEN needs low <= high, and a
    placeholder bound would not be: "9999-..." sorts after "9")."""
    if low is not None:
        values[":from"] = low
    if high is not None:
        values[":to"] = high
    if low is not None and high is not None:
        return f" AND {name} BETWEEN :from AND :to"
    return f" AND {name} >= :from" if low is not None else f" AND {name} <= :to"


def _same(previous: SyncTask) -> dict[str, Any]:
    """The condition that the stored task is still `previous` (status and update time)."""
    return {
        "ConditionExpression": "#t.#s = :s AND #t.#u = :u",
        "ExpressionAttributeNames": {"#t": "task", "#s": "status", "#u": "updated_at"},
        "ExpressionAttributeValues": to_item(
            {":s": previous.status.value, ":u": previous.model_dump(mode="json")["updated_at"]}
        ),
    }


class DynamoActionLog(_Table, ActionLog):
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

    def for_reseller(self, reseller_id: str, limit: int = 50) -> list[ActionLogEntry]:
        return [
            ActionLogEntry.model_validate(item["entry"])
            for item in self._query(reseller_id, forward=False, limit=limit)
        ]

    def page(self, reseller_id: str, wanted: LogFilter) -> LogPage:
        from cbxero.domain.listing import LogPage

        index = keys.Index.UNREAD_ENTRIES if wanted.unread_only else None
        partition = keys.UNREAD_KEY if wanted.unread_only else keys.PK
        condition = "#p = :p"
        names = {"#p": partition}
        values: dict[str, Any] = {":p": reseller_id}
        if wanted.at_from or wanted.at_to:
            names["#s"] = keys.SK
            condition += _range(
                "#s",
                values,
                _stamp(wanted.at_from) if wanted.at_from else None,
                _stamp(wanted.at_to) + "#~" if wanted.at_to else None,  # any id at that time
            )
        filters = []
        for name, value in (
            ("status", wanted.status.value if wanted.status else None),
            ("action", wanted.action),
            ("customer_id", wanted.customer_id),
        ):
            if value is not None:
                names[f"#{name}"] = name
                values[f":{name}"] = value
                filters.append(f"#{name} = :{name}")
        if wanted.problems_only or wanted.others_since:
            names["#status"] = "status"
            values.update(
                {":error": LogStatus.ERROR.value, ":act": LogStatus.ACTION_REQUIRED.value}
            )
            problem = "#status IN (:error, :act)"
            if wanted.problems_only:
                filters.append(problem)
            elif wanted.others_since:
                names.update({"#e": "entry", "#at": "at"})
                values[":since"] = _stamp(wanted.others_since)
                filters.append(f"({problem} OR #e.#at >= :since)")
        found, following = self._page(
            reseller_id,
            index,
            condition,
            names,
            values,
            filters,
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
