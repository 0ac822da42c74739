"""The connect flow's own items in the token table: signed states, and consents exchanged by
the public callback waiting for the user who started."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from cbxero import keys
from cbxero.adapters.dynamo.connections import token_document
from cbxero.adapters.dynamo.table import (
    Table,
    conditional,
    conditional_failure,
    from_item,
    item_key,
    to_item,
)
from cbxero.domain.connection import ConnectStart, PendingGrant, StateLookup
from cbxero.ports import OAuthStateStore, PendingGrantStore, TokenCipher

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class DynamoOAuthStateStore(Table, OAuthStateStore):
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
                Key=item_key(f"STATE#{state}", self.SK),
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
            if not conditional_failure(error):
                raise
            raw: Any = error.response.get("Item")
            if not raw:
                return StateLookup()
            old = from_item(raw)
            problem = "used" if "used_at" in old else "expired"
            return StateLookup(start=ConnectStart.model_validate(old["start"]), problem=problem)
        old = from_item(response["Attributes"])
        return StateLookup(start=ConnectStart.model_validate(old["start"]))


class DynamoPendingGrantStore(Table, PendingGrantStore):
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
        sealed = self._cipher.seal(reseller_id, json.dumps(token_document(grant.tokens)).encode())
        # A pointer by expiry first, so that a consent nobody finishes is found and released.
        self._put(
            {
                keys.PK: self.BY_EXPIRY,
                keys.SK: self._expiry_key(expires_at, self._pk(handle)),
                "grant_pk": self._pk(handle),
                keys.TTL_ATTRIBUTE: int((expires_at + timedelta(days=1)).timestamp()),
            }
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
                TableName=self._table, Key=item_key(self.BY_EXPIRY, str(pointer[keys.SK]))
            )
        return released

    def _take(self, grant_pk: str, now: datetime) -> tuple[PendingGrant, bool] | None:
        response = conditional(
            self._client.delete_item,
            TableName=self._table,
            Key=item_key(grant_pk, self.SK),
            ConditionExpression="attribute_exists(#pk)",
            ExpressionAttributeNames={"#pk": keys.PK},
            ReturnValues="ALL_OLD",
        )
        if response is None:
            return None
        old = from_item(response["Attributes"])
        document = dict(old["grant"])
        opened = self._cipher.open(document["start"]["reseller_id"], bytes(old["sealed_tokens"]))
        document["tokens"] = json.loads(opened)
        live = int(old["pending_until"]) > int(now.timestamp())
        return PendingGrant.model_validate(document), live
