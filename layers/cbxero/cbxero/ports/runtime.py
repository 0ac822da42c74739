"""Jobs, queues and the clock: what runs the work, and the rate governor that paces Xero."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple

from pydantic import BaseModel, ConfigDict

from cbxero.domain.marketplace import MarketplaceId

if TYPE_CHECKING:  # annotations only
    from cbxero.domain.xero_events import XeroEvent


class Clock:
    """Timezone-aware UTC now; the local stack and tests swap in a controllable one."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class SyncJob(BaseModel):
    """One queued unit of work: sync one customer of one reseller."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Marketplace ids, as everywhere the API takes them: a body naming another is unreadable.
    reseller_id: MarketplaceId
    customer_id: MarketplaceId
    slot: str
    process: bool = True
    actor: str = "scheduler"
    # A sync by hand names its tasks; a scheduled job takes every due task of the customer.
    task_ids: tuple[MarketplaceId, ...] = ()
    check: bool = True  # look for new orders first
    retries_only: bool = False  # the retry sweep's jobs: tasks waiting to be retried, not new ones
    round: int = 0  # continuations of a job cut short (too many tasks for one run)

    @property
    def dedupe_id(self) -> str:
        """The same customer in the same schedule slot (and round) is enqueued once."""
        return f"{self.reseller_id}:{self.customer_id}:{self.slot}:{self.round}"[:128]

    def continued(self) -> SyncJob:
        return self.model_copy(update={"round": self.round + 1, "check": False})


class DueReseller(NamedTuple):
    reseller_id: str
    reconnect_needed: bool


class JobQueue(ABC):
    @abstractmethod
    def send(self, jobs: Sequence[SyncJob]) -> int:
        """Enqueue jobs (batched); returns how many were accepted."""


class XeroEventQueue(ABC):
    """Xero's changes, one message per event, for the events function."""

    @abstractmethod
    def send(self, events: Sequence[XeroEvent]) -> int:
        """Enqueue events (batched; an event already queued is dropped by its key); returns
        how many were accepted. Raises when the queue refuses any."""


class Permit(BaseModel):
    model_config = ConfigDict(frozen=True)

    tenant_id: str
    slot: int
    holder: str


class Budget(NamedTuple):
    """An organisation's Xero calls today (UTC): the day's limit, used and left."""

    limit: int
    used: int

    @property
    def left(self) -> int:
        return max(self.limit - self.used, 0)


class RateGovernor(ABC):
    """Xero's per-organisation limits, kept across every Lambda: calls in flight, per minute,
    per day, and pauses after a 429."""

    @abstractmethod
    def acquire(self, tenant_id: str) -> Permit:
        """A permit for one call; waits briefly, or raises RateLimited with how long to wait."""

    @abstractmethod
    def release(self, permit: Permit) -> None: ...

    @abstractmethod
    def observe(self, tenant_id: str, headers: Mapping[str, str]) -> None:
        """Stay in step with what Xero says is left (X-MinLimit-Remaining, ...)."""

    @abstractmethod
    def pause(self, tenant_id: str, seconds: float) -> None:
        """No call to this organisation for a while (Xero answered 429 with Retry-After)."""

    @abstractmethod
    def budget(self, tenant_id: str) -> Budget:
        """The organisation's calls today, as counted here and raised to what Xero reported."""
