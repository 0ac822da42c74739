"""Xero's rate limits per organisation, shared by every Lambda through DynamoDB.

One item per organisation and minute, and per day, counts calls with conditional increments;
five slot items hold the calls in flight as short leases (a crashed Lambda's lease simply runs
out); a pause item records a 429's Retry-After. Waits use the injected sleep, so tests run on
a virtual clock.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from cbxero import keys
from cbxero.adapters.dynamo.table import conditional, from_item, to_item
from cbxero.domain.errors import RateLimited
from cbxero.ports import Budget, Clock, Permit, RateGovernor

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@dataclass(frozen=True)
class XeroLimits:
    """Xero's published limits per connected organisation (the daily one varies by plan)."""

    in_flight: int = 5
    per_minute: int = 60
    per_day: int = 5000
    lease: timedelta = timedelta(seconds=60)
    # Waits up to this long are slept in the Lambda; longer ones become RateLimited.
    longest_sleep: float = 5.0


class DynamoRateGovernor(RateGovernor):
    def __init__(
        self,
        client: DynamoDBClient,
        table: str,
        *,
        clock: Clock,
        sleep: Callable[[float], None],
        limits: XeroLimits | None = None,
    ) -> None:
        self._client = client
        self._table = table
        self._clock = clock
        self._sleep = sleep
        self._limits = limits or XeroLimits()
        # The latest count this instance knows per (organisation, window), from its own writes.
        self._counted: dict[tuple[str, str], int] = {}

    # ------------------------------------------------------------------ keys
    @staticmethod
    def _key(tenant_id: str, sk: str) -> dict[str, Any]:
        return to_item({keys.PK: f"ORG#{tenant_id}", keys.SK: sk})

    @staticmethod
    def _minute(at: datetime) -> str:
        return "MINUTE#" + at.strftime("%Y%m%d%H%M")

    @staticmethod
    def _day(at: datetime) -> str:
        return "DAY#" + at.strftime("%Y%m%d")

    # ------------------------------------------------------------------ the port
    def acquire(self, tenant_id: str) -> Permit:
        waited = 0.0
        while True:
            wait = self._paused_for(tenant_id) or self._count_call(tenant_id)
            if wait == 0:
                permit = self._take_slot(tenant_id)
                if permit is not None:
                    return permit
                # All five slots busy: try again shortly, with jitter so waiters spread out.
                wait = 0.05 + random.random() * 0.15  # noqa: S311 - jitter, not security
            if waited + wait > self._limits.longest_sleep:
                raise RateLimited(
                    "Xero's call limits for the organisation were reached: retried "
                    f"automatically, not before {max(1, math.ceil(wait))} s",
                    retry_after=wait,
                )
            self._sleep(wait)
            waited += wait

    def release(self, permit: Permit) -> None:
        # A failed condition means the lease ran out and was taken: fine.
        conditional(
            self._client.delete_item,
            TableName=self._table,
            Key=self._key(permit.tenant_id, f"SLOT#{permit.slot}"),
            ConditionExpression="holder = :me",
            ExpressionAttributeValues=to_item({":me": permit.holder}),
        )

    def observe(self, tenant_id: str, headers: Mapping[str, str]) -> None:
        now = self._clock.now()
        for header, sk, limit, ttl in (
            # Xero's count (limit - remaining) becomes ours if higher; our own cap keeps headroom.
            ("X-MinLimit-Remaining", self._minute(now), self._limits.per_minute, 120),
            ("X-DayLimit-Remaining", self._day(now), self._limits.per_day, 2 * 86400),
        ):
            remaining = headers.get(header)
            if remaining is None or not remaining.isdigit():
                continue
            used = limit - int(remaining)
            # Usually Xero counts no more than we just did: then there is nothing to write.
            if used > self._counted.get((tenant_id, sk), -1):
                self._raise_count(tenant_id, sk, used, now, ttl)
                self._counted[(tenant_id, sk)] = used
        app_remaining = headers.get("X-AppMinLimit-Remaining")
        if app_remaining is not None and app_remaining.isdigit() and int(app_remaining) == 0:
            self.pause(tenant_id, 60 - now.second)

    def budget(self, tenant_id: str) -> Budget:
        answer = self._client.get_item(
            TableName=self._table,
            Key=self._key(tenant_id, self._day(self._clock.now())),
            ConsistentRead=True,
        )
        used = int(from_item(answer["Item"]).get("calls", 0)) if "Item" in answer else 0
        return Budget(limit=self._limits.per_day, used=used)

    def pause(self, tenant_id: str, seconds: float) -> None:
        until = self._clock.now() + timedelta(seconds=seconds)
        # A failed condition means a longer pause is already set.
        conditional(
            self._client.update_item,
            TableName=self._table,
            Key=self._key(tenant_id, "PAUSE"),
            UpdateExpression="SET until_ms = :u, #ttl = :ttl",
            ConditionExpression="attribute_not_exists(until_ms) OR until_ms < :u",
            ExpressionAttributeNames={"#ttl": keys.TTL_ATTRIBUTE},
            ExpressionAttributeValues=to_item(
                {":u": int(until.timestamp() * 1000), ":ttl": int(until.timestamp()) + 3600}
            ),
        )

    # ------------------------------------------------------------------ the parts
    def _paused_for(self, tenant_id: str) -> float:
        found = self._client.get_item(
            TableName=self._table, Key=self._key(tenant_id, "PAUSE"), ConsistentRead=True
        ).get("Item")
        if not found:
            return 0.0
        until_ms = int(from_item(found)["until_ms"])
        left = until_ms / 1000 - self._clock.now().timestamp()
        return max(0.0, left)

    def _count_call(self, tenant_id: str) -> float:
        """Count this call against the minute and the day; seconds to wait if either is full.

        A call counted just before a minute ends may reach Xero in the next one; at most
        `in_flight` can, so that many are kept in hand and Xero never sees more than its limit.
        """
        now = self._clock.now()
        per_minute = self._limits.per_minute - self._limits.in_flight
        if not self._increment(tenant_id, self._minute(now), per_minute, now, 120):
            return 60 - now.second - now.microsecond / 1e6 + 0.01
        if not self._increment(tenant_id, self._day(now), self._limits.per_day, now, 2 * 86400):
            tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
            return (tomorrow - now).total_seconds()
        return 0.0

    def _increment(self, tenant_id: str, sk: str, limit: int, now: datetime, ttl: int) -> bool:
        """Count one call unless the window is full; remembers the count for observe()."""
        answer = conditional(
            self._client.update_item,
            TableName=self._table,
            Key=self._key(tenant_id, sk),
            UpdateExpression="ADD calls :one SET #ttl = if_not_exists(#ttl, :ttl)",
            ConditionExpression="attribute_not_exists(calls) OR calls < :limit",
            ExpressionAttributeNames={"#ttl": keys.TTL_ATTRIBUTE},
            ExpressionAttributeValues=to_item(
                {":one": 1, ":limit": limit, ":ttl": int(now.timestamp()) + ttl}
            ),
            ReturnValues="UPDATED_NEW",
        )
        if answer is None:
            return False
        self._counted[(tenant_id, sk)] = int(from_item(answer["Attributes"])["calls"])
        return True

    def _raise_count(self, tenant_id: str, sk: str, used: int, now: datetime, ttl: int) -> None:
        """Xero counted more calls than we did (another app instance, a retry): catch up
        (unless another caller already did)."""
        conditional(
            self._client.update_item,
            TableName=self._table,
            Key=self._key(tenant_id, sk),
            UpdateExpression="SET calls = :used, #ttl = if_not_exists(#ttl, :ttl)",
            ConditionExpression="attribute_not_exists(calls) OR calls < :used",
            ExpressionAttributeNames={"#ttl": keys.TTL_ATTRIBUTE},
            ExpressionAttributeValues=to_item({":used": used, ":ttl": int(now.timestamp()) + ttl}),
        )

    def _take_slot(self, tenant_id: str) -> Permit | None:
        now = self._clock.now()
        holder = uuid.uuid4().hex
        for slot in random.sample(range(self._limits.in_flight), self._limits.in_flight):
            written = conditional(
                self._client.put_item,
                TableName=self._table,
                Item={
                    **self._key(tenant_id, f"SLOT#{slot}"),
                    **to_item(
                        {
                            "holder": holder,
                            "held_until_ms": int((now + self._limits.lease).timestamp() * 1000),
                            keys.TTL_ATTRIBUTE: int(now.timestamp()) + 3600,
                        }
                    ),
                },
                ConditionExpression="attribute_not_exists(holder) OR held_until_ms < :now",
                ExpressionAttributeValues=to_item({":now": int(now.timestamp() * 1000)}),
            )
            if written is not None:
                return Permit(tenant_id=tenant_id, slot=slot, holder=holder)
        return None
