"""The drift report: read the marketplace's orders, the tasks and Xero's documents, contacts and
items for a period (or only what one difference concerns), and hand them to `domain/drift.py`.
The daily run (`DriftSweep`) keeps each connected reseller's last counts for the dashboard."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict

from cbxero.domain.documents import mapping_key
from cbxero.domain.drift import Difference, DriftKind, DriftWorld, counts, find_drift
from cbxero.domain.errors import InvalidInput, NotFound
from cbxero.domain.marketplace import MarketplaceOrder
from cbxero.domain.model import ActionLogEntry, CustomerLink, LogStatus, ProductMapping
from cbxero.domain.settings import AutoSync, PriceSource
from cbxero.ports import (
    ActionLog,
    Clock,
    CustomerLinkRepository,
    DriftRecords,
    Marketplace,
    ProductMappingRepository,
    SettingsRepository,
    TaskRepository,
    XeroAccounting,
)

_ABOUT_CUSTOMERS = frozenset({DriftKind.CONTACT_ARCHIVED, DriftKind.CONTACT_MERGED})
LONGEST_PERIOD = timedelta(days=366)
MOST_ORDERS = 2000  # one report reads every order's task: a longer list asks for a shorter period


class DriftReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: AwareDatetime
    end: AwareDatetime
    checked_at: AwareDatetime
    orders: int
    tasks: int
    documents: int
    ignored: int
    counts: dict[str, int]
    differences: list[Difference]


def checked_period(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """A report's period: both ends given, from no later than to, at most a year and a day."""
    if start is None:
        raise InvalidInput("give the period's start", field="from")
    if end is None:
        raise InvalidInput("give the period's end", field="to")
    if start > end:
        raise InvalidInput("from is later than to", field="from")
    if end - start > LONGEST_PERIOD:
        raise InvalidInput(f"a period of at most {LONGEST_PERIOD.days} days", field="to")
    return start, end


class DriftReader:
    def __init__(
        self,
        *,
        settings: SettingsRepository,
        links: CustomerLinkRepository,
        mappings: ProductMappingRepository,
        tasks: TaskRepository,
        marketplace: Marketplace,
        xero: Callable[[str], XeroAccounting],
        records: DriftRecords,
        clock: Clock,
    ) -> None:
        self._settings = settings
        self._links = links
        self._mappings = mappings
        self._tasks = tasks
        self._marketplace = marketplace
        self._xero = xero
        self._records = records
        self._clock = clock

    # ------------------------------------------------------------------ the report
    def report(self, reseller_id: str, start: datetime, end: datetime) -> DriftReport:
        world = self.world(reseller_id, *checked_period(start, end))
        ignored = self._records.ignored(reseller_id)
        everything = find_drift(world)
        shown = [d for d in everything if d.key not in ignored]
        return DriftReport(
            start=start,
            end=end,
            checked_at=self._clock.now(),
            orders=len(world.orders),
            tasks=len(world.tasks),
            documents=len(world.invoices) + len(world.credit_notes),
            ignored=len(everything) - len(shown),
            counts=counts(shown),
            differences=shown,
        )

    def world(self, reseller_id: str, start: datetime, end: datetime) -> DriftWorld:
        orders = self._orders(reseller_id, start, end)
        return self._gathered(
            reseller_id,
            orders,
            [link for link in self._links.for_reseller(reseller_id) if link.xero_contact_id],
            self._mappings.for_reseller(reseller_id),
            every_item=True,
        )

    def _gathered(
        self,
        reseller_id: str,
        orders: list[MarketplaceOrder],
        links: list[CustomerLink],
        mappings: list[ProductMapping],
        *,
        every_item: bool,
    ) -> DriftWorld:
        """The three sides for these orders, links and mappings: batched look-ups, each made
        only when there is something to look up."""
        settings = self._settings.get(reseller_id)
        tasks = [t for o in orders if (t := self._tasks.get(reseller_id, o.id)) is not None]
        xero = self._xero(reseller_id)
        numbers = [o.order_number for o in orders]
        invoice_ids = [t.document.id for t in tasks if t.document]
        note_ids = [t.credit_note.id for t in tasks if t.credit_note]
        invoices = {
            i.invoice_id: i
            for i in [
                *(xero.invoices_by_reference(numbers) if numbers else []),
                *(xero.invoices(invoice_ids) if invoice_ids else []),
            ]
        }
        notes = {
            n.credit_note_id: n
            for n in [
                *(xero.credit_notes_by_reference(numbers) if numbers else []),
                *(xero.credit_notes(note_ids) if note_ids else []),
            ]
        }
        contact_ids = sorted({link.xero_contact_id for link in links if link.xero_contact_id})
        contacts = xero.contacts_by_id(contact_ids) if contact_ids else []
        # The contacts they were merged into, to name them (one more read, only after a merge).
        survivors = sorted(
            {c.merged_to_contact_id for c in contacts if c.merged_to_contact_id} - set(contact_ids)
        )
        contacts += xero.contacts_by_id(survivors) if survivors else []
        read_items = every_item or settings.price_source is PriceSource.XERO
        items = {item.code: item for item in xero.all_items()} if mappings and read_items else {}
        return DriftWorld(
            settings=settings,
            orders=orders,
            tasks=tasks,
            invoices=list(invoices.values()),
            credit_notes=list(notes.values()),
            links=links,
            contacts={c.contact_id: c for c in contacts if c.contact_id},
            mappings=mappings,
            items=items,
        )

    def world_of(self, reseller_id: str, key: str, start: datetime, end: datetime) -> DriftWorld:
        """Only what one difference concerns (by its key), so that a repair checks it is still
        there with a few calls, not a whole report's."""
        kind, _, rest = key.partition(":")
        first = rest.split(":")[0]
        if kind in _ABOUT_CUSTOMERS:
            link = self._links.get(reseller_id, first)
            return self._gathered(reseller_id, [], [link] if link else [], [], every_item=False)
        if kind == DriftKind.ITEM_DELETED:
            mapped = list(self._mappings.get_many(reseller_id, [first]).values())
            return self._gathered(reseller_id, [], [], mapped, every_item=True)
        try:
            order = self._marketplace.order(first)
            self._marketplace.customer(reseller_id, order.customer_id)
        except NotFound:
            return self._gathered(reseller_id, [], [], [], every_item=False)
        orders = [order] if start <= order.created_at <= end else []
        wanted = sorted({mapping_key(line) for line in order.lines})
        mappings = list(self._mappings.get_many(reseller_id, wanted).values())
        return self._gathered(reseller_id, orders, [], mappings, every_item=False)

    def _orders(self, reseller_id: str, start: datetime, end: datetime) -> list[MarketplaceOrder]:
        orders: list[MarketplaceOrder] = []
        for customer in self._marketplace.customers(reseller_id):
            orders.extend(
                o for o in self._marketplace.orders(customer.id, start) if o.created_at <= end
            )
            if len(orders) > MOST_ORDERS:
                raise InvalidInput(
                    f"more than {MOST_ORDERS} orders in the period: choose a shorter one",
                    field="from",
                )
        return orders


# Periods the scheduled run falls back to when a reseller has more orders than a report takes.
SHORTER_PERIODS = (7, 1)


class DriftSweep:
    """The scheduled drift run: each reseller with auto-sync on and a usable connection, once a
    day, as many as the invocation's time allows (an hourly schedule picks up the rest)."""

    def __init__(
        self,
        *,
        reader: DriftReader,
        settings: SettingsRepository,
        records: DriftRecords,
        action_log: ActionLog,
        clock: Clock,
    ) -> None:
        self._reader = reader
        self._settings = settings
        self._records = records
        self._log = action_log
        self._clock = clock

    def run(
        self,
        time_left_ms: Callable[[], int],
        margin_ms: int = 20_000,
        failed: Callable[[str, Exception], None] = lambda _reseller, _error: None,
    ) -> dict[str, int]:
        """Reports for every due reseller not checked in the last day; how many were checked,
        skipped (checked already, or reconnect needed), failed, and left for the next run."""
        tally = {"checked": 0, "skipped": 0, "failed": 0, "left": 0}
        for frequency in (AutoSync.DAILY, AutoSync.EVERY_5_MINUTES):
            for due in self._settings.resellers_due(frequency):
                last = self._records.last_counts(due.reseller_id)
                recent = last is not None and self._clock.now() - last[1] < DAY_AGAIN
                if due.reconnect_needed or recent:
                    tally["skipped"] += 1
                elif time_left_ms() < margin_ms:
                    tally["left"] += 1
                else:
                    try:
                        self.scheduled(due.reseller_id)
                        tally["checked"] += 1
                    except Exception as error:  # one reseller's failure stays its own;
                        tally["failed"] += 1  # it is tried again at the next hour
                        failed(due.reseller_id, error)
        return tally

    def scheduled(self, reseller_id: str, days: int = 31) -> DriftReport:
        """The daily run: the last `days` days, its counts kept for the dashboard, and one
        Action Log entry when drift was found. A reseller with more orders than one report
        takes is reported over a shorter period (a week, then a day) rather than not at all."""
        now = self._clock.now()
        report = self._shortened(reseller_id, now, days)
        self._records.save_counts(reseller_id, report.counts, now)
        if report.differences:
            found = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in report.counts.items())
            self._log.add(
                ActionLogEntry(
                    reseller_id=reseller_id,
                    at=now,
                    action="drift_found",
                    status=LogStatus.ACTION_REQUIRED,
                    message=f"The books disagree with Xero: {found}. Open the reconcile report "
                    "to repair.",
                )
            )
        return report

    def _shortened(self, reseller_id: str, now: datetime, days: int) -> DriftReport:
        periods = [days, *(p for p in SHORTER_PERIODS if p < days)]
        for period in periods[:-1]:
            try:
                return self._reader.report(reseller_id, now - timedelta(days=period), now)
            except InvalidInput as refused:
                if refused.field != "from":  # not "too many orders": a real refusal
                    raise
        return self._reader.report(reseller_id, now - timedelta(days=periods[-1]), now)


DAY_AGAIN = timedelta(hours=20)  # checked within this: not again today
