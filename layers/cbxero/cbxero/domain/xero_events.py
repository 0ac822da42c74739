"""What Xero tells us changed: its webhook events, and the same shape for what a poll finds.

An event names a resource and says nothing of its state (credit notes aside), so whoever acts
on it reads the resource's state from Xero. Acting on current state makes an event delivered
twice, or out of order, change nothing twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

# Xero's ids are GUIDs; an event naming anything else (a path, say) is not looked up, nor
# queued: SQS refuses a message group id (the tenant) outside ASCII letters and punctuation.
XERO_ID = re.compile(r"[A-Za-z0-9-]{1,64}")


class EventCategory(StrEnum):
    CONTACT = "CONTACT"
    INVOICE = "INVOICE"
    CREDIT_NOTE = "CREDITNOTE"
    SUBSCRIPTION = "SUBSCRIPTION"


class EventType(StrEnum):
    CREATE = "CREATE"
    UPDATE = "UPDATE"


def _utc_unless_told(value: object) -> object:
    # Xero writes eventDateUtc without an offset ("2025-12-02T00:44:09.923"): it is UTC.
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


UtcInstant = Annotated[dt.datetime, BeforeValidator(_utc_unless_told)]


class XeroEvent(BaseModel):
    """One event of a webhook delivery (or of a poll), as the spec names its fields."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore"
    )

    resource_url: str = Field(max_length=2000)
    resource_id: str = Field(min_length=1, max_length=100)
    event_date_utc: UtcInstant
    event_type: EventType
    event_category: EventCategory
    tenant_id: str = Field(min_length=1, max_length=100)
    tenant_type: str = Field(max_length=50)

    @property
    def names_xero_ids(self) -> bool:
        """Its tenant and resource are ids as Xero writes them."""
        return bool(XERO_ID.fullmatch(self.tenant_id) and XERO_ID.fullmatch(self.resource_id))

    @property
    def key(self) -> str:
        """The same event, however often delivered, has the same key."""
        seen = "|".join(
            (
                self.tenant_id,
                self.event_category.value,
                self.resource_id,
                self.event_type.value,
                self.event_date_utc.isoformat(),
            )
        )
        return hashlib.sha256(seen.encode()).hexdigest()[:32]


class WebhookDelivery(BaseModel):
    """A webhook's body. An intent-to-receive check carries no events."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    events: tuple[XeroEvent, ...] = Field(max_length=1000)
    first_event_sequence: int = Field(ge=0)
    last_event_sequence: int = Field(ge=0)
    entropy: str = Field(max_length=200)
