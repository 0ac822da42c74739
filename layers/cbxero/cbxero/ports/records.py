"""What the product keeps: settings, connections, consents, links, mappings, tasks, the
Action Log, and the figures read from them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from cbxero.domain.connection import (
    ConnectionStatus,
    ConnectStart,
    PendingGrant,
    StateLookup,
    XeroConnection,
    XeroTenant,
)
from cbxero.domain.history import HistoryStart
from cbxero.domain.model import ActionLogEntry, CustomerLink, ProductMapping, SyncTask
from cbxero.domain.settings import AutoSync, Settings
from cbxero.ports.runtime import DueReseller

if TYPE_CHECKING:  # annotations only
    from cbxero.domain.listing import LogFilter, LogPage, TaskFilter, TaskPage


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
