"""In-memory adapters for the ports, so the use cases run in milliseconds in unit tests."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

from cbxero.domain.connection import (
    ConnectionStatus,
    ConnectStart,
    PendingGrant,
    StateLookup,
    TokenSet,
    XeroConnection,
    XeroTenant,
)
from cbxero.domain.errors import (
    AuthorizationRefused,
    NotFound,
    ReconnectNeeded,
    UpstreamUnavailable,
)
from cbxero.domain.history import HistoryStart, open_billing
from cbxero.domain.listing import LogFilter, LogPage, TaskFilter, TaskPage
from cbxero.domain.marketplace import MarketplaceCustomer, MarketplaceOrder, MarketplaceProduct
from cbxero.domain.model import ActionLogEntry, CustomerLink, ProductMapping, SyncTask, TaskStatus
from cbxero.domain.settings import AutoSync, Settings
from cbxero.ports import (
    Clock,
    ConnectionRepository,
    CustomerLinkRepository,
    DueReseller,
    HistoryRecord,
    JobQueue,
    Marketplace,
    OAuthStateStore,
    OrganisationRecord,
    PendingGrantStore,
    ProductMappingRepository,
    SettingsRepository,
    SyncJob,
    TaskFigures,
    TokenCipher,
    XeroAuthorizer,
)
from local.records import LogRecords, TaskRecords


class FixedClock(Clock):
    def __init__(self, now: datetime | None = None) -> None:
        self.current = now or datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


class FakeCipher(TokenCipher):
    """Reversible, and bound to the reseller like KMS's encryption context."""

    def seal(self, reseller_id: str, plaintext: bytes) -> bytes:
        return reseller_id.encode() + b"|" + plaintext[::-1]

    def open(self, reseller_id: str, sealed: bytes) -> bytes:
        owner, _, body = sealed.partition(b"|")
        if owner != reseller_id.encode():
            raise PermissionError("sealed for another reseller")
        return body[::-1]


class FakeSettings(SettingsRepository):
    def __init__(self) -> None:
        self.saved: dict[str, Settings] = {}
        self.versions: dict[str, int] = {}
        self.statuses: dict[str, ConnectionStatus] = {}
        self.levels_since: dict[str, datetime] = {}

    def notifications_changed(self, reseller_id: str, at: datetime) -> None:
        self.levels_since[reseller_id] = at

    def notifications_since(self, reseller_id: str) -> datetime | None:
        return self.levels_since.get(reseller_id)

    def get(self, reseller_id: str) -> Settings:
        return self.saved.get(reseller_id, Settings())

    def versioned(self, reseller_id: str) -> tuple[Settings, int]:
        return self.get(reseller_id), self.versions.get(reseller_id, 0)

    def save_if(self, reseller_id: str, settings: Settings, expected: int | None) -> int | None:
        current = self.versions.get(reseller_id, 0)
        if expected is not None and expected != current:
            return None
        self.saved[reseller_id] = settings
        self.versions[reseller_id] = current + 1
        return current + 1

    def resellers_due(self, frequency: AutoSync, after: str | None = None) -> Iterator[DueReseller]:
        return iter(
            DueReseller(r, self.reconnect_needed(r))
            for r in sorted(self.saved)
            if self.saved[r].auto_sync is frequency and (after is None or r > after)
        )

    def reconnect_needed(self, reseller_id: str) -> bool:
        return self.statuses.get(reseller_id) is ConnectionStatus.RECONNECT_NEEDED

    def set_connection_status(self, reseller_id: str, status: ConnectionStatus) -> None:
        self.statuses[reseller_id] = status


class FakeHistory(HistoryRecord):
    def __init__(self) -> None:
        self.chosen: dict[str, HistoryStart] = {}

    def get(self, reseller_id: str) -> HistoryStart | None:
        return self.chosen.get(reseller_id)

    def save(self, reseller_id: str, chosen: HistoryStart, *, first_only: bool = False) -> bool:
        if first_only and reseller_id in self.chosen:
            return False
        self.chosen[reseller_id] = chosen
        return True


class FakeConnections(ConnectionRepository):
    def __init__(self) -> None:
        self.stored: dict[str, XeroConnection] = {}
        self.writes = 0
        self.leases: dict[str, tuple[str, datetime, int]] = {}

    def get(self, reseller_id: str) -> XeroConnection | None:
        return self.stored.get(reseller_id)

    def save(self, connection: XeroConnection, *, expected_version: int | None) -> bool:
        current = self.stored.get(connection.reseller_id)
        if (current.version if current else None) != expected_version:
            return False
        self.stored[connection.reseller_id] = connection
        self.writes += 1
        return True

    def delete(self, reseller_id: str) -> None:
        self.stored.pop(reseller_id, None)

    def lease_refresh(
        self, reseller_id: str, version: int, holder: str, now: datetime, until: datetime
    ) -> bool:
        current = self.stored.get(reseller_id)
        if current is None or current.version != version:
            return False
        held = self.leases.get(reseller_id)
        if held and held[0] != holder and held[1] > now and held[2] == version:
            return False
        self.leases[reseller_id] = (holder, until, version)
        return True


class FakeStates(OAuthStateStore):
    def __init__(self) -> None:
        self.states: dict[str, tuple[ConnectStart, datetime, bool]] = {}

    def put(self, state: str, start: ConnectStart, expires_at: datetime) -> None:
        self.states[state] = (start, expires_at, False)

    def consume(self, state: str, now: datetime) -> StateLookup:
        found = self.states.get(state)
        if found is None:
            return StateLookup()
        start, expires_at, used = found
        if used:
            return StateLookup(start=start, problem="used")
        if expires_at <= now:
            return StateLookup(start=start, problem="expired")
        self.states[state] = (start, expires_at, True)
        return StateLookup(start=start)


class FakePendingGrants(PendingGrantStore):
    def __init__(self) -> None:
        self.held: dict[str, tuple[PendingGrant, datetime]] = {}

    def hold(self, handle: str, grant: PendingGrant, expires_at: datetime) -> None:
        self.held[handle] = (grant, expires_at)

    def take(self, handle: str, now: datetime) -> tuple[PendingGrant, bool] | None:
        found = self.held.pop(handle, None)
        return None if found is None else (found[0], found[1] > now)

    def take_abandoned(self, now: datetime, limit: int = 100) -> list[PendingGrant]:
        ripe = [handle for handle, (_, expires_at) in self.held.items() if expires_at <= now]
        return [self.held.pop(handle)[0] for handle in ripe[:limit]]


class FakeOrganisations(OrganisationRecord):
    """The organisation record over the fake links and mappings."""

    def __init__(self, links: FakeLinks, mappings: FakeMappings) -> None:
        self.links, self.mappings = links, mappings
        self.bound_to: dict[str, XeroTenant] = {}
        self.archive: dict[tuple[str, str], list[object]] = {}

    def bound(self, reseller_id: str) -> XeroTenant | None:
        return self.bound_to.get(reseller_id)

    def bind(self, reseller_id: str, tenant: XeroTenant) -> None:
        self.bound_to[reseller_id] = tenant

    def set_aside(self, reseller_id: str, tenant: XeroTenant) -> tuple[int, int]:
        shelf = self.archive.setdefault((reseller_id, tenant.tenant_id), [])
        links = [link for link in self.links.for_reseller(reseller_id) if link.xero_contact_id]
        for link in links:
            shelf.append(link)
            self.links.save(link.model_copy(update={"xero_contact_id": None}))
        mappings = self.mappings.for_reseller(reseller_id)
        for mapping in mappings:
            shelf.append(mapping)
            self.mappings.delete(reseller_id, mapping.mpn)
        return len(links), len(mappings)


class FakeLinks(CustomerLinkRepository):
    def __init__(self) -> None:
        self.links: dict[tuple[str, str], CustomerLink] = {}

    def get(self, reseller_id: str, customer_id: str) -> CustomerLink | None:
        return self.links.get((reseller_id, customer_id))

    def save(self, link: CustomerLink) -> None:
        self.links[(link.reseller_id, link.customer_id)] = link

    def for_reseller(self, reseller_id: str) -> list[CustomerLink]:
        return [link for (r, _), link in sorted(self.links.items()) if r == reseller_id]

    def auto_sync_customers(self, reseller_id: str, after: str | None = None) -> Iterator[str]:
        return iter(
            sorted(
                link.customer_id
                for link in self.for_reseller(reseller_id)
                if link.auto_sync and (after is None or link.customer_id > after)
            )
        )

    def customers_linked_to(self, reseller_id: str, contact_id: str) -> list[str]:
        return [
            link.customer_id
            for link in self.for_reseller(reseller_id)
            if link.xero_contact_id == contact_id
        ]

    def record_xero_contact(self, link: CustomerLink) -> bool:
        stored = self.get(link.reseller_id, link.customer_id)
        if stored is None or stored.xero_contact_id != link.xero_contact_id:
            return False
        seen, newer = stored.xero_contact_seen_at, link.xero_contact_seen_at
        if seen is not None and (newer is None or newer < seen):
            return False
        self.save(
            stored.model_copy(
                update={
                    "xero_contact_archived": link.xero_contact_archived,
                    "xero_contact_merged_into": link.xero_contact_merged_into,
                    "xero_contact_seen_at": newer,
                }
            )
        )
        return True


class FakeMappings(ProductMappingRepository):
    def __init__(self) -> None:
        self.mappings: dict[tuple[str, str], ProductMapping] = {}

    def get_many(self, reseller_id: str, mpns: Sequence[str]) -> dict[str, ProductMapping]:
        return {
            m: self.mappings[(reseller_id, m)] for m in mpns if (reseller_id, m) in self.mappings
        }

    def save(self, mapping: ProductMapping) -> None:
        self.mappings[(mapping.reseller_id, mapping.mpn)] = mapping

    def for_reseller(self, reseller_id: str) -> list[ProductMapping]:
        return [m for (r, _), m in sorted(self.mappings.items()) if r == reseller_id]

    def delete(self, reseller_id: str, mpn: str) -> None:
        self.mappings.pop((reseller_id, mpn), None)

    def products_for_item(self, reseller_id: str, item_code: str) -> list[str]:
        return [m.mpn for m in self.for_reseller(reseller_id) if m.xero_item_code == item_code]


class FakeTaskFigures(TaskFigures):
    """The status index's figures, counted from a FakeTasks."""

    def __init__(self, tasks: FakeTasks) -> None:
        self._tasks = tasks

    def by_status_and_type(self, reseller_id: str) -> dict[str, Counter[str]]:
        found: dict[str, Counter[str]] = {status.value: Counter() for status in TaskStatus}
        for (reseller, _), task in self._tasks.tasks.items():
            if reseller == reseller_id:
                found[task.status.value][task.order_type.value] += 1
        return found

    def oldest_waiting(self, reseller_id: str) -> SyncTask | None:
        waiting = [
            t
            for (reseller, _), t in self._tasks.tasks.items()
            if reseller == reseller_id and t.status.can_sync_by_hand
        ]
        return min(waiting, key=lambda t: t.created_at, default=None)


class FakeTasks(TaskRecords):
    def __init__(self) -> None:
        self.tasks: dict[tuple[str, str], SyncTask] = {}

    def add_if_absent(self, task: SyncTask) -> bool:
        key = (task.reseller_id, task.task_id)
        if key in self.tasks:
            return False
        self.tasks[key] = task
        return True

    def add_many_if_absent(self, tasks: Sequence[SyncTask]) -> list[bool]:
        return [self.add_if_absent(task) for task in tasks]

    def get(self, reseller_id: str, task_id: str) -> SyncTask | None:
        return self.tasks.get((reseller_id, task_id))

    def replace(self, task: SyncTask, *, previous: SyncTask) -> bool:
        key = (task.reseller_id, task.task_id)
        stored = self.tasks.get(key)
        if stored is None or (stored.status, stored.updated_at) != (
            previous.status,
            previous.updated_at,
        ):
            return False
        self.tasks[key] = task
        return True

    def for_reseller(self, reseller_id: str, *, customer_id: str | None = None) -> list[SyncTask]:
        return [
            t
            for (r, _), t in sorted(self.tasks.items())
            if r == reseller_id and customer_id in (None, t.customer_id)
        ]

    def page(self, reseller_id: str, wanted: TaskFilter) -> TaskPage:
        chosen = [
            t
            for t in self.for_reseller(reseller_id)
            if wanted.status in (None, t.status)
            and wanted.order_type in (None, t.order_type)
            and wanted.customer_id in (None, t.customer_id)
            and (wanted.created_from is None or t.created_at >= wanted.created_from)
            and (wanted.created_to is None or t.created_at <= wanted.created_to)
        ]
        chosen.sort(key=lambda t: (t.created_at, t.task_id), reverse=True)
        start = int(wanted.cursor or 0)
        end = start + wanted.limit
        return TaskPage(
            items=chosen[start:end], next_cursor=str(end) if end < len(chosen) else None
        )

    def open_for_customer(self, reseller_id: str, customer_id: str) -> list[SyncTask]:
        return [
            t for t in self.for_reseller(reseller_id, customer_id=customer_id) if not t.is_final
        ]

    def due_for_retry(self, now: datetime) -> Iterator[tuple[str, str]]:
        pairs = {
            (t.reseller_id, t.customer_id)
            for t in self.tasks.values()
            if t.retry_at is not None and t.retry_at <= now
        }
        return iter(sorted(pairs))

    def for_document(self, reseller_id: str, document_id: str) -> list[SyncTask]:
        return [
            t
            for t in self.for_reseller(reseller_id)
            if (held := t.document or t.credit_note) is not None and held.id == document_id
        ]


class FakeActionLog(LogRecords):
    def __init__(self) -> None:
        self.entries: list[ActionLogEntry] = []

    def add(self, entry: ActionLogEntry) -> None:
        self.entries.append(entry)

    def for_reseller(self, reseller_id: str, limit: int = 50) -> list[ActionLogEntry]:
        return [e for e in reversed(self.entries) if e.reseller_id == reseller_id][:limit]

    def page(self, reseller_id: str, wanted: LogFilter) -> LogPage:
        chosen = [
            e
            for e in self.for_reseller(reseller_id, limit=10**9)
            if wanted.status in (None, e.status)
            and wanted.action in (None, e.action)
            and wanted.customer_id in (None, e.customer_id)
            and not (wanted.unread_only and e.read)
            and not (wanted.problems_only and not e.status.is_problem)
            and not (wanted.others_since and not e.status.is_problem and e.at < wanted.others_since)
        ]
        start = int(wanted.cursor or 0)
        end = start + wanted.limit
        return LogPage(items=chosen[start:end], next_cursor=str(end) if end < len(chosen) else None)

    def get(self, reseller_id: str, entry_id: str) -> ActionLogEntry | None:
        return next(
            (e for e in self.entries if (e.reseller_id, e.entry_id) == (reseller_id, entry_id)),
            None,
        )

    def mark_read(self, reseller_id: str, entry_ids: Sequence[str]) -> int:
        marked = 0
        for n, entry in enumerate(self.entries):
            wanted = entry.entry_id in entry_ids
            if entry.reseller_id == reseller_id and wanted and not entry.read:
                self.entries[n] = entry.model_copy(update={"read": True})
                marked += 1
        return marked


class FakeQueue(JobQueue):
    def __init__(self) -> None:
        self.jobs: list[SyncJob] = []
        self.calls = 0

    def send(self, jobs: Sequence[SyncJob]) -> int:
        self.calls += 1
        self.jobs.extend(jobs)
        return len(jobs)


class FakeMarketplace(Marketplace):
    def __init__(self) -> None:
        self.orders_by_customer: dict[str, list[MarketplaceOrder]] = {}
        self.customers_by_id: dict[str, MarketplaceCustomer] = {}
        self.reseller_of: dict[str, str] = {}  # customer id -> the reseller it belongs to
        self.catalogue: list[MarketplaceProduct] = []
        # customer id -> its active subscriptions' orders, one list per subscription
        self.subscriptions: dict[str, list[list[MarketplaceOrder]]] = {}

    def open_billing(self, customer_id: str) -> list[MarketplaceOrder]:
        chosen = (open_billing(orders) for orders in self.subscriptions.get(customer_id, []))
        return [order for order in chosen if order is not None]

    def orders(self, customer_id: str, created_from: datetime) -> list[MarketplaceOrder]:
        return [
            o for o in self.orders_by_customer.get(customer_id, []) if o.created_at >= created_from
        ]

    def order(self, order_id: str) -> MarketplaceOrder:
        for orders in self.orders_by_customer.values():
            for order in orders:
                if order.id == order_id:
                    return order
        raise NotFound(order_id)

    def customer(self, reseller_id: str, customer_id: str) -> MarketplaceCustomer:
        if self.reseller_of.get(customer_id) != reseller_id:
            raise NotFound(customer_id)
        return self.customers_by_id[customer_id]

    def customers(self, reseller_id: str) -> list[MarketplaceCustomer]:
        return [
            c for c in self.customers_by_id.values() if self.reseller_of.get(c.id) == reseller_id
        ]

    def products(self) -> list[MarketplaceProduct]:
        return list(self.catalogue)


class FakeIdentity(XeroAuthorizer):
    """Xero's identity service with rotating refresh tokens."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.live_refresh: set[str] = set()
        self.refreshes = 0
        self.tenant_list = [XeroTenant(tenant_id="tenant-1", name="Demo Ltd", connection_id="c-1")]
        self.issued = 0
        self.revoked: list[str] = []
        self.lose_next_answer = False
        self.disconnected: list[str] = []
        self.challenges: dict[str, str] = {}  # state -> PKCE challenge in its authorization URL
        self.code_verifiers: list[str] = []  # PKCE verifiers sent with each code exchange

    def _issue(self) -> TokenSet:
        self.issued += 1
        refresh = f"refresh-{self.issued}"
        self.live_refresh.add(refresh)
        return TokenSet(
            access_token=f"access-{self.issued}",
            refresh_token=refresh,
            expires_at=self.clock.now() + timedelta(minutes=30),
            scopes=("accounting.invoices",),
        )

    def authorization_url(self, state: str, code_challenge: str) -> str:
        self.challenges[state] = code_challenge
        return f"https://login.example/authorize?code_challenge={code_challenge}&state={state}"

    def exchange_code(self, code: str, code_verifier: str) -> TokenSet:
        self.code_verifiers.append(code_verifier)
        if code != "good-code":
            raise AuthorizationRefused("Xero refused the code", reason="invalid_grant")
        return self._issue()

    def refresh(self, tokens: TokenSet) -> TokenSet:
        self.refreshes += 1
        if self.lose_next_answer:
            self.lose_next_answer = False
            self._issue()  # Xero rotated, but the answer never arrived
            raise UpstreamUnavailable("connection reset")
        token = tokens.refresh_token.get_secret_value()
        if token not in self.live_refresh:
            raise ReconnectNeeded("invalid_grant")
        self.live_refresh.discard(token)
        return self._issue()

    def tenants(self, tokens: TokenSet) -> list[XeroTenant]:
        return list(self.tenant_list)

    def revoke(self, tokens: TokenSet) -> None:
        token = tokens.refresh_token.get_secret_value()
        self.revoked.append(token)
        self.live_refresh.discard(token)

    def disconnect(self, tokens: TokenSet, connection_id: str) -> None:
        self.disconnected.append(connection_id)
