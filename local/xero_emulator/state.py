"""What the emulator holds: the organisations with their documents, the consents and tokens,
and what its rate limiter and fault injection saw. Tests read and set these directly."""

from __future__ import annotations

import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from local.xero_emulator.chart import default_chart
from local.xero_emulator.webhooks import Webhooks

ACCESS_LIFETIME = timedelta(minutes=30)
REFRESH_GRACE = timedelta(minutes=30)  # a rotated refresh token stays usable this long
REFRESH_LIFETIME = timedelta(days=60)  # an unused refresh token dies after this


@dataclass
class Organisation:
    tenant_id: str
    name: str
    currency: str = "USD"
    currencies: set[str] = field(default_factory=lambda: {"EUR", "GBP"})  # besides the base
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    credit_notes: dict[str, dict[str, Any]] = field(default_factory=dict)
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Accounts, TaxRates and TrackingCategories, as Xero lists them (tests change them).
    chart: dict[str, list[dict[str, Any]]] = field(default_factory=default_chart)
    idempotency: dict[str, tuple[str, int, Any]] = field(default_factory=dict)
    next_number: int = 1
    # What the rate limiter saw, for tests and benchmarks to check.
    calls_by_minute: dict[str, int] = field(default_factory=dict)
    calls_by_day: dict[str, int] = field(default_factory=dict)
    in_flight: int = 0
    most_in_flight: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    archived_items: set[str] = field(default_factory=set)  # archived by hand (see by_hand)


@dataclass(frozen=True)
class Limits:
    """Xero's limits per connected organisation, and across the app."""

    per_minute: int = 60
    per_day: int = 5000
    in_flight: int = 5
    app_per_minute: int = 10000


@dataclass
class Grant:
    """One consent (auth_id) and the tenants it covers; shared by all tokens issued from it."""

    client_id: str
    tenant_ids: list[str]
    scopes: str
    expires_at: datetime
    auth_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class RefreshToken:
    grant: Grant
    issued_at: datetime
    rotated_at: datetime | None = None


def now() -> datetime:
    return datetime.now(UTC)


class EmulatorState:
    """The state the emulator's parts share. Thread-safe under `lock`."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        auto_consent: bool,
        organisations: list[str] | None,
    ) -> None:
        self.clients = {client_id: client_secret}
        self.auto_consent = auto_consent
        self.lock = threading.RLock()
        self.organisations = {
            org.tenant_id: org
            for org in (
                Organisation(tenant_id=str(uuid.uuid4()), name=name)
                for name in (organisations or ["Demo Reseller Ltd"])
            )
        }
        self.codes: dict[str, dict[str, Any]] = {}
        self.access_tokens: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.refresh_grace = REFRESH_GRACE
        self.refreshes = 0  # refresh grants answered with new tokens
        self.issued: list[str] = []  # every token ever handed out, revoked ones included
        self.clock: Callable[[], datetime] = now  # tests move time with their own clock
        self.limits = Limits()
        self.app_calls_by_minute: dict[str, int] = {}
        # Faults a test queues for the next accounting calls: "500" answers 500 and does
        # nothing; "429" refuses with Retry-After: fault_retry_after; "commit_then_drop" does
        # the work, then answers 504 as if the reply was lost; "timeout" does the work but
        # answers only after fault_delay seconds (past a short client timeout); "pass" lets
        # one call through.
        self.faults: deque[str] = deque()
        self.fault_retry_after = 3
        self.fault_delay = 1.0
        self.latency = 0.0  # seconds every accounting call takes (real time), to let calls overlap
        self.arrivals: list[datetime] = []  # when each accounting call arrived
        # Each 429: when, its Retry-After, and the index in arrivals of the call it refused.
        self.refusals: list[tuple[datetime, int, int]] = []
        self.calls: list[tuple[str, str]] = []
        # Xero's webhooks: events of the organisations' changes, delivered on demand.
        self.webhooks = Webhooks(clock=lambda: self.clock(), lock=self.lock)

    def organisation(self, name: str | None = None) -> Organisation:
        """The organisation of that name, or the first one."""
        with self.lock:
            return next(o for o in self.organisations.values() if name in (None, o.name))
