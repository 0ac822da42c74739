"""Xero connections in the token table; the tokens themselves sealed by the cipher (KMS)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cbxero import keys
from cbxero.adapters.dynamo.table import Table, conditional, item_key, to_item
from cbxero.domain.connection import ConnectionStatus, TokenSet, XeroConnection
from cbxero.ports import ConnectionRepository, TokenCipher

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class DynamoConnectionRepository(Table, ConnectionRepository):
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
            plaintext = json.dumps(token_document(connection.tokens)).encode()
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
        written = conditional(self._client.put_item, **request)
        if written is None:
            return False
        if self._mirror is not None:
            self._mirror(connection.reseller_id, connection.status)
        return True

    def delete(self, reseller_id: str) -> None:
        self._client.delete_item(
            TableName=self._table, Key=item_key(self._pk(reseller_id), self.SK)
        )
        if self._mirror is not None:
            self._mirror(reseller_id, ConnectionStatus.NOT_CONNECTED)

    def lease_refresh(
        self, reseller_id: str, version: int, holder: str, now: datetime, until: datetime
    ) -> bool:
        leased = conditional(
            self._client.update_item,
            TableName=self._table,
            Key=item_key(self._pk(reseller_id), self.SK),
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
        return leased is not None


def token_document(tokens: TokenSet) -> dict[str, Any]:
    return {
        "access_token": tokens.access_token.get_secret_value(),
        "refresh_token": tokens.refresh_token.get_secret_value(),
        "expires_at": tokens.expires_at.isoformat(),
        "scopes": list(tokens.scopes),
    }
