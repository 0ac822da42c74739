"""The ports: what the services need from storage, queues and the two external systems.

Adapters in cbxero.adapters implement them against AWS and HTTP; the unit tests use fakes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple

from pydantic import BaseModel, ConfigDict

from cbxero.domain.connection import (
    ConnectionStatus,
    ConnectStart,
    PendingGrant,
    StateLookup,
    TokenSet,
    XeroConnection,
    XeroTenant,
)
from cbxero.domain.history import HistoryStart
from cbxero.domain.marketplace import (
    MarketplaceCustomer,
    MarketplaceId,
    MarketplaceOrder,
    MarketplaceProduct,
)
from cbxero.domain.model import ActionLogEntry, CustomerLink, ProductMapping, SyncTask
from cbxero.domain.settings import AutoSync, Settings

if TYPE_CHECKING:  # only annotations here: functions that never call Xero skip building these
    from cbxero.domain.listing import LogFilter, LogPage, TaskFilter, TaskPage
    from cbxero.domain.xero import (
        Account,
        Allocation,
        Contact,
        CreditNote,
        Currency,
        Invoice,
        Item,
        Organisation,
        Payment,
        TaxRate,
        TrackingCategory,
    )
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


class SettingsRepository(ABC):
    @abstractmethod
    def get(self, reseller_id: str) -> Settings: ...

    @abstractmethod
    def versioned(self, reseller_id: str) -> tuple[Settings, int]:
        """The settings and their version (0 before the first save)."""

    @abstractmethod
    def save_if(self, reseller_id: str, settings: Settings, expected: int | None) -> int | None:
        """Save if the stored version is still `expected` (None: whatever it is); the new
        version, or None when it moved on."""

    @abstractmethod
    def notifications_changed(self, reseller_id: str, at: datetime) -> None:
        """Remember when the notifications level last changed: a level applies from then."""

    @abstractmethod
    def notifications_since(self, reseller_id: str) -> datetime | None:
        """When the notifications level last changed (None: never changed)."""

    @abstractmethod
    def resellers_due(self, frequency: AutoSync, after: str | None = None) -> Iterator[DueReseller]:
        """Resellers with this auto-sync frequency, in id order, from after `after`."""

    @abstractmethod
    def reconnect_needed(self, reseller_id: str) -> bool: ...

    @abstractmethod
    def set_connection_status(self, reseller_id: str, status: ConnectionStatus) -> None:
        """Mirror of the connection's status, so that functions without the token table
        (the dispatcher) can tell which resellers to skip."""


class HistoryRecord(ABC):
    """The start date a reseller chose for history (none chosen: one month back)."""

    @abstractmethod
    def get(self, reseller_id: str) -> HistoryStart | None: ...

    @abstractmethod
    def save(self, reseller_id: str, chosen: HistoryStart, *, first_only: bool = False) -> bool:
        """Store the start; first_only: only if none was chosen before. True if stored."""


class TokenCipher(ABC):
    """Seals a reseller's tokens before they are stored; bound to that reseller."""

    @abstractmethod
    def seal(self, reseller_id: str, plaintext: bytes) -> bytes: ...

    @abstractmethod
    def open(self, reseller_id: str, sealed: bytes) -> bytes: ...


class ConnectionRepository(ABC):
    """Xero connections and their tokens (the token table)."""

    @abstractmethod
    def get(self, reseller_id: str) -> XeroConnection | None: ...

    @abstractmethod
    def save(self, connection: XeroConnection, *, expected_version: int | None) -> bool:
        """Write the connection if its stored version is still expected_version (None: absent)."""

    @abstractmethod
    def delete(self, reseller_id: str) -> None: ...

    @abstractmethod
    def lease_refresh(
        self, reseller_id: str, version: int, holder: str, now: datetime, until: datetime
    ) -> bool:
        """Claim the right to refresh this version of the tokens until `until` (or renew it);
        False while another holder's lease runs or the version has moved on."""


class OAuthStateStore(ABC):
    @abstractmethod
    def put(self, state: str, start: ConnectStart, expires_at: datetime) -> None: ...

    @abstractmethod
    def consume(self, state: str, now: datetime) -> StateLookup:
        """Atomically use a live state once. A state used before or expired comes back with its
        start (so the user can be sent back to the store) and the problem ("used", "expired")."""


class PendingGrantStore(ABC):
    """Consents exchanged by the public callback, waiting for the user who started to finish."""

    @abstractmethod
    def hold(self, handle: str, grant: PendingGrant, expires_at: datetime) -> None: ...

    @abstractmethod
    def take(self, handle: str, now: datetime) -> tuple[PendingGrant, bool] | None:
        """Atomically remove the grant held under handle: (grant, still live), or None."""

    @abstractmethod
    def take_abandoned(self, now: datetime, limit: int = 100) -> list[PendingGrant]:
        """Atomically remove grants whose time ran out unfinished (at most limit), to release."""


class OrganisationRecord(ABC):
    """Which Xero organisation a reseller's customer links and product mappings belong to."""

    @abstractmethod
    def bound(self, reseller_id: str) -> XeroTenant | None: ...

    @abstractmethod
    def bind(self, reseller_id: str, tenant: XeroTenant) -> None: ...

    @abstractmethod
    def set_aside(self, reseller_id: str, tenant: XeroTenant) -> tuple[int, int]:
        """Move the links' contacts and the product mappings made in tenant to an archive, so no
        other organisation uses them; returns (links, mappings) set aside."""


class OrganisationDirectory(ABC):
    """The other way round: which resellers' links belong to a Xero organisation."""

    @abstractmethod
    def resellers_of(self, tenant_id: str) -> list[str]:
        """The resellers whose organisation of record is this one (none, one, or several)."""

    @abstractmethod
    def organisations(self) -> Iterator[tuple[str, str]]:
        """Every (reseller, organisation) of record."""


class PollCursors(ABC):
    """How far each reseller's organisation has been read for changes (the polling fallback)."""

    @abstractmethod
    def get(self, reseller_id: str, tenant_id: str) -> datetime | None: ...

    @abstractmethod
    def advance(
        self, reseller_id: str, tenant_id: str, to: datetime, expected: datetime | None
    ) -> bool:
        """Move the cursor to `to` if it is still `expected` (None: none yet); False when
        another poll moved it meanwhile."""


class CustomerLinkRepository(ABC):
    @abstractmethod
    def get(self, reseller_id: str, customer_id: str) -> CustomerLink | None: ...

    @abstractmethod
    def save(self, link: CustomerLink) -> None: ...

    @abstractmethod
    def for_reseller(self, reseller_id: str) -> list[CustomerLink]: ...

    @abstractmethod
    def auto_sync_customers(self, reseller_id: str, after: str | None = None) -> Iterator[str]:
        """Customers with auto-sync on, in id order, from after `after`."""

    @abstractmethod
    def customers_linked_to(self, reseller_id: str, contact_id: str) -> list[str]:
        """The reseller's customers linked to this Xero contact (none, one, or several mapped
        there by the reseller)."""

    @abstractmethod
    def record_xero_contact(self, link: CustomerLink) -> bool:
        """Store what the link says Xero last said of its contact (archived, merged into,
        seen at), nothing else of it; False when the stored link is linked to another contact
        by now, or holds a newer reading."""


class ProductMappingRepository(ABC):
    @abstractmethod
    def get_many(self, reseller_id: str, mpns: Sequence[str]) -> dict[str, ProductMapping]: ...

    @abstractmethod
    def save(self, mapping: ProductMapping) -> None: ...

    @abstractmethod
    def for_reseller(self, reseller_id: str) -> list[ProductMapping]: ...

    @abstractmethod
    def delete(self, reseller_id: str, mpn: str) -> None: ...

    @abstractmethod
    def products_for_item(self, reseller_id: str, item_code: str) -> list[str]: ...


class TaskRepository(ABC):
    @abstractmethod
    def get(self, reseller_id: str, task_id: str) -> SyncTask | None: ...

    @abstractmethod
    def replace(self, task: SyncTask, *, previous: SyncTask) -> bool:
        """Write task only if the stored one is still previous (same status and update time)."""

    @abstractmethod
    def add_many_if_absent(self, tasks: Sequence[SyncTask]) -> list[bool]:
        """Store each new task unless one exists for its order; for each, True if this call
        created it."""

    def replace_many(self, changes: Sequence[tuple[SyncTask, SyncTask]]) -> list[bool]:
        """replace for each (task, previous) pair (adapters do it in fewer calls)."""
        return [self.replace(task, previous=previous) for task, previous in changes]

    @abstractmethod
    def page(self, reseller_id: str, wanted: TaskFilter) -> TaskPage:
        """One page of the reseller's tasks, newest first; raises InvalidInput for a cursor
        that is not one of this reseller's."""

    @abstractmethod
    def open_for_customer(self, reseller_id: str, customer_id: str) -> list[SyncTask]:
        """The customer's tasks that are not final (new, processing, failed, waiting)."""

    @abstractmethod
    def due_for_retry(self, now: datetime) -> Iterator[tuple[str, str]]:
        """(reseller, customer) of tasks whose retry time has come, each pair once."""

    @abstractmethod
    def for_document(self, reseller_id: str, document_id: str) -> list[SyncTask]:
        """The reseller's tasks whose document (their invoice, else their credit note) is this
        Xero document: none, one, or several orders on an invoice that collects them."""


class ActionLog(ABC):
    @abstractmethod
    def add(self, entry: ActionLogEntry) -> None: ...

    @abstractmethod
    def page(self, reseller_id: str, wanted: LogFilter) -> LogPage:
        """One page of the reseller's entries, newest first."""

    @abstractmethod
    def get(self, reseller_id: str, entry_id: str) -> ActionLogEntry | None: ...

    @abstractmethod
    def mark_read(self, reseller_id: str, entry_ids: Sequence[str]) -> int:
        """Mark these entries read; how many changed."""


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


class XeroAuthorizer(ABC):
    """Xero's identity service: authorization URL, code exchange, refresh, tenant list."""

    @abstractmethod
    def authorization_url(self, state: str, code_challenge: str) -> str:
        """The consent URL; code_challenge is PKCE's S256 challenge."""

    @abstractmethod
    def exchange_code(self, code: str, code_verifier: str) -> TokenSet:
        """Redeem a code with the PKCE verifier of the flow that asked for it."""

    @abstractmethod
    def refresh(self, tokens: TokenSet) -> TokenSet: ...

    @abstractmethod
    def tenants(self, tokens: TokenSet) -> list[XeroTenant]: ...

    @abstractmethod
    def revoke(self, tokens: TokenSet) -> None:
        """Revoke the refresh token (and the access tokens issued from it)."""

    @abstractmethod
    def disconnect(self, tokens: TokenSet, connection_id: str) -> None:
        """Remove the app's connection to one organisation."""


class XeroChanges(NamedTuple):
    """What changed in an organisation since a time (If-Modified-Since), every page."""

    invoices: list[Invoice]
    credit_notes: list[CreditNote]
    contacts: list[Contact]


class XeroAccounting(ABC):
    """The accounting endpoints, for one organisation with a valid access token."""

    # How messages name the organisation ("account 999 is not ... of Demo Ltd").
    organisation_name: str = "the organisation"
    # Which organisation the calls go to ("": not told), for what is kept per organisation.
    tenant_id: str = ""

    @abstractmethod
    def create_contact(self, contact: Contact, idempotency_key: str) -> Contact: ...

    @abstractmethod
    def items(self, codes: Sequence[str]) -> dict[str, Item]: ...

    @abstractmethod
    def all_items(self) -> list[Item]: ...

    @abstractmethod
    def create_item(self, item: Item, idempotency_key: str) -> Item: ...

    @abstractmethod
    def contact(self, contact_id: str) -> Contact:
        """One contact by id; raises NotFound."""

    @abstractmethod
    def contacts(self, search: str | None = None) -> list[Contact]:
        """The organisation's active contacts, every page; with `search`, those with it in their
        name, number or email, in any case (Xero's `searchTerm`). Archived ones never."""

    @abstractmethod
    def contacts_matching(self, criteria: Mapping[str, str]) -> list[Contact]:
        """Active contacts with any of these field values (ContactNumber, TaxNumber, ...), one
        query read to its last page. Archived ones never: they are never matched."""

    @abstractmethod
    def invoices_by_reference(self, references: Sequence[str]) -> list[Invoice]:
        """Sales invoices whose Reference names one of these, in every status: a voided or
        deleted one is the order's too (and is never made again by itself)."""

    @abstractmethod
    def credit_notes_by_reference(self, references: Sequence[str]) -> list[CreditNote]:
        """As `invoices_by_reference`, for credit notes."""

    @abstractmethod
    def invoices(self, ids: Sequence[str]) -> list[Invoice]:
        """These invoices in any status (voided and deleted too), however many, batched;
        ids Xero does not know are left out."""

    @abstractmethod
    def credit_notes(self, ids: Sequence[str]) -> list[CreditNote]:
        """As `invoices`, for credit notes."""

    @abstractmethod
    def contacts_by_id(self, ids: Sequence[str]) -> list[Contact]:
        """These contacts in any status (archived and merged ones too), batched."""

    @abstractmethod
    def changed_since(self, since: datetime) -> XeroChanges:
        """Invoices, credit notes and contacts (archived ones too) Xero changed after `since`."""

    @abstractmethod
    def invoice_by_number(self, number: str) -> Invoice | None: ...

    @abstractmethod
    def invoice(self, invoice_id: str) -> Invoice: ...

    @abstractmethod
    def latest_editable_invoice(self, contact_id: str, currency: str) -> Invoice | None:
        """The contact's newest invoice Xero still lets change, if it is in this currency."""

    @abstractmethod
    def latest_invoice_due(self, contact_id: str, currency: str) -> Invoice | None:
        """The contact's newest authorised invoice in this currency, if it has a balance."""

    @abstractmethod
    def update_invoice(self, invoice: Invoice, idempotency_key: str) -> Invoice:
        """Replace an invoice's lines (all of them are sent: Xero drops lines left out)."""

    @abstractmethod
    def create_invoices(self, invoices: Sequence[Invoice], idempotency_key: str) -> list[Invoice]:
        """Many invoices, up to 50 a call; each comes back with its own validation errors."""

    @abstractmethod
    def create_credit_notes(
        self, notes: Sequence[CreditNote], idempotency_key: str
    ) -> list[CreditNote]: ...

    @abstractmethod
    def allocate(
        self, credit_note_id: str, allocation: Allocation, idempotency_key: str
    ) -> Allocation: ...

    @abstractmethod
    def accounts(self) -> list[Account]: ...

    @abstractmethod
    def tax_rates(self) -> list[TaxRate]: ...

    @abstractmethod
    def create_payments(self, payments: Sequence[Payment], idempotency_key: str) -> list[Payment]:
        """Many payments, up to 50 a call; each comes back with its own validation errors."""

    @abstractmethod
    def payments_by_reference(self, references: Sequence[str]) -> list[Payment]:
        """Live payments (not deleted) whose Reference is one of these, batched."""

    @abstractmethod
    def payments_of_invoices(self, invoice_ids: Sequence[str]) -> list[Payment]:
        """Live payments against these invoices, batched."""

    @abstractmethod
    def tracking_categories(self) -> list[TrackingCategory]:
        """The organisation's ACTIVE tracking categories, each with its ACTIVE options."""

    @abstractmethod
    def currencies(self) -> list[Currency]:
        """The currencies the organisation has enabled, its base currency among them."""

    @abstractmethod
    def organisation(self) -> Organisation: ...


class Marketplace(ABC):
    """The marketplace, as the integration reads it: orders, one reseller's customers, products.
    An adapter translates the marketplace's own terms (line types, account model) into these."""

    @abstractmethod
    def orders(self, customer_id: str, created_from: datetime) -> list[MarketplaceOrder]: ...

    @abstractmethod
    def order(self, order_id: str) -> MarketplaceOrder: ...

    @abstractmethod
    def open_billing(self, customer_id: str) -> list[MarketplaceOrder]:
        """Each active subscription's open billing: its newest completed order that charged it
        (cbxero.domain.history.open_billing), whatever its age."""

    @abstractmethod
    def customer(self, reseller_id: str, customer_id: str) -> MarketplaceCustomer:
        """The reseller's customer; NotFound alike for a missing one and another reseller's."""

    @abstractmethod
    def customers(self, reseller_id: str) -> list[MarketplaceCustomer]:
        """The reseller's customers."""

    @abstractmethod
    def products(self) -> list[MarketplaceProduct]: ...


class DriftRecords(ABC):
    """The drift report's own records: the differences a reseller acknowledged, and the last
    scheduled report's counts (the dashboard's "drift found")."""

    @abstractmethod
    def ignored(self, reseller_id: str) -> frozenset[str]:
        """The keys of the differences the reseller acknowledged."""

    @abstractmethod
    def ignore(self, reseller_id: str, key: str, reason: str, actor: str, at: datetime) -> bool:
        """Acknowledge a difference; False when it was acknowledged already (two requests at
        once: only the first is done)."""

    @abstractmethod
    def save_counts(self, reseller_id: str, counts: Mapping[str, int], at: datetime) -> None: ...

    @abstractmethod
    def last_counts(self, reseller_id: str) -> tuple[dict[str, int], datetime] | None: ...


class TaskFigures(ABC):
    """The dashboard's task figures, without reading the tasks out."""

    @abstractmethod
    def by_status_and_type(self, reseller_id: str) -> Mapping[str, Mapping[str, int]]:
        """Per status, how many tasks of each order type."""

    @abstractmethod
    def oldest_waiting(self, reseller_id: str) -> SyncTask | None:
        """The longest-waiting task among new, failed and waiting-for-action ones."""
