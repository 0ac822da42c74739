"""What the stages share: the run they belong to, and one claimed task's work as an immutable
value that each stage hands on to the next (a stage returns new values, never changes them)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from cbxero.domain.documents import DocumentPlan
from cbxero.domain.idempotency import batch_key
from cbxero.domain.marketplace import MarketplaceOrder
from cbxero.domain.model import (
    ActionLogEntry,
    CustomerLink,
    LogStatus,
    SyncTask,
    TargetChoice,
    XeroDocumentRef,
)
from cbxero.domain.settings import InvoiceTarget, NotificationLevel, Settings
from cbxero.domain.xero import DOCUMENTS_PER_CALL, CreditNote, Invoice, Item, ValidationError
from cbxero.ports import (
    ActionLog,
    Clock,
    CustomerLinkRepository,
    Marketplace,
    ProductMappingRepository,
    SettingsRepository,
    TaskRepository,
    XeroAccounting,
)
from cbxero.services.sync.ledger import Ledger
from cbxero.services.sync.reference import OrganisationLists


@dataclass(frozen=True)
class Ports:
    settings: SettingsRepository
    links: CustomerLinkRepository
    mappings: ProductMappingRepository
    tasks: TaskRepository
    action_log: ActionLog
    marketplace: Marketplace
    clock: Clock


@dataclass(frozen=True)
class Run:
    """One reseller's claimed tasks on their way through the stages."""

    ports: Ports
    reseller_id: str
    settings: Settings
    xero: XeroAccounting
    actor: str
    # The claims: which tasks are still open, which went out in a write, how each ended.
    ledger: Ledger
    # Orders read by this invocation's check changes, so that planning need not read them again.
    orders: dict[str, MarketplaceOrder]
    # The organisation's accounts, tax rates, tracking and currencies, kept a few minutes.
    lists: OrganisationLists
    # Items read from Xero in this run, by code (None: Xero has none): read once, for the guard
    # and the plan alike.
    items_seen: dict[str, Item | None] = field(default_factory=dict)

    def is_open(self, work: Work) -> bool:
        return self.ledger.is_open(work.task.order_id)

    def order(self, task: SyncTask) -> MarketplaceOrder:
        """The task's order, read from the marketplace once per run; raises NotFound."""
        order = self.orders.get(task.order_id)
        if order is None:
            order = self.ports.marketplace.order(task.order_id)
            self.orders[order.id] = order
        return order

    def items(self, codes: Iterable[str]) -> dict[str, Item]:
        """These items as Xero has them (codes it lacks are left out), one read per run."""
        wanted = set(codes)
        unread = sorted(wanted - set(self.items_seen))
        if unread:
            found = self.xero.items(unread)
            self.items_seen.update({code: found.get(code) for code in unread})
        return {code: item for code in wanted if (item := self.items_seen.get(code)) is not None}


@dataclass(frozen=True)
class Work:
    """One claimed task on its way through a run: what the stages so far found or made."""

    task: SyncTask
    order: MarketplaceOrder
    contact_id: str
    plan: DocumentPlan
    note_before: str | None  # the task's note when this run took it up
    invoice: Invoice | None = None
    credit_note: CreditNote | None = None
    credited: str | None = None  # what became of the credit note's allocation, for the task
    follow_up: bool = False  # synced, but the reseller has something to do in Xero
    waiting: str | None = None  # a payment waits for the reseller (a draft invoice, say)
    paid: str | None = None  # what became of the order's payments, when worth saying


def shares_invoice(task: SyncTask, settings: Settings) -> bool:
    """Whether the task's lines go onto an invoice that collects several orders."""
    if task.target is TargetChoice.NEW:
        return False
    return (
        task.target in (TargetChoice.LATEST, TargetChoice.GIVEN)
        or settings.invoice_target is InvoiceTarget.EXISTING
    )


def in_batches[D: (Invoice, CreditNote)](
    run: Run,
    work: list[Work],
    make: Callable[[Work], D | None],
    send: Callable[[list[D], str], list[D]],
    action: str,
) -> Iterator[tuple[Work, D]]:
    """Each task's document, DOCUMENTS_PER_CALL to a call; (task, Xero's answer) pairs, one
    call's answers taken in before the next call goes out."""
    for start in range(0, len(work), DOCUMENTS_PER_CALL):
        chunk = work[start : start + DOCUMENTS_PER_CALL]
        documents = [document for w in chunk if (document := make(w)) is not None]
        run.ledger.mark_sent(w.task.order_id for w in chunk)
        key = batch_key(run.reseller_id, (w.task for w in chunk), action)
        yield from zip(chunk, send(documents, key), strict=True)


def xero_errors(errors: Iterable[ValidationError]) -> str:
    return "; ".join(error.message for error in errors)


def link_of(ports: Ports, reseller_id: str, customer_id: str) -> CustomerLink:
    return ports.links.get(reseller_id, customer_id) or CustomerLink(
        reseller_id=reseller_id, customer_id=customer_id
    )


_NO_DOC = XeroDocumentRef(kind="none", id="")


def note(
    ports: Ports,
    settings: Settings,
    task: SyncTask,
    status: LogStatus,
    message: str,
    *,
    actor: str,
    action: str = "sync_task",
) -> None:
    """An Action Log entry, if the reseller's notifications setting wants this kind."""
    if settings.notifications is NotificationLevel.ERRORS_AND_ACTIONS and not status.is_problem:
        return
    ports.action_log.add(
        ActionLogEntry(
            reseller_id=task.reseller_id,
            at=ports.clock.now(),
            action=action,
            status=status,
            actor=actor,
            message=message,
            customer_id=task.customer_id,
            order_id=task.order_id,
            xero_document_id=(task.document or task.credit_note or _NO_DOC).id or None,
        )
    )
