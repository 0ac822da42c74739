"""The worker's use case: a customer's new orders become sync tasks, and tasks become invoices."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from cbxero.domain.errors import (
    DocumentRejected,
    NotConnected,
    RateLimited,
    UpstreamUnavailable,
)
from cbxero.domain.invoice_plan import CENT, InvoicePlan, ItemPriceMissing, UnmappedProducts
from cbxero.domain.marketplace import MarketplaceOrder, newest_creation
from cbxero.domain.model import (
    ActionLogEntry,
    CustomerLink,
    LogStatus,
    SyncTask,
    TaskStatus,
    XeroConnection,
    XeroDocumentRef,
)
from cbxero.domain.settings import NotificationLevel, PriceSource, Settings
from cbxero.domain.xero import Contact
from cbxero.ports import (
    ActionLog,
    Clock,
    CustomerLinkRepository,
    Marketplace,
    ProductMappingRepository,
    SettingsRepository,
    SyncJob,
    TaskRepository,
    XeroAccounting,
)

# With no task yet for a customer, "check changes" looks one month back (the store's rule).
FIRST_LOOK_BACK = timedelta(days=30)


def idempotency_key(reseller_id: str, order_id: str, action: str) -> str:
    """Same order and action, same key: Xero replays the first answer instead of doing it twice."""
    return f"cbxero:{reseller_id}:{order_id}:{action}"[:128]


@dataclass
class SyncOutcome:
    orders_seen: int = 0
    tasks_created: int = 0
    statuses: dict[str, TaskStatus] = field(default_factory=dict)


class CustomerSync:
    """Syncs one customer of one reseller: check changes, then process its open tasks."""

    def __init__(
        self,
        *,
        settings: SettingsRepository,
        links: CustomerLinkRepository,
        mappings: ProductMappingRepository,
        tasks: TaskRepository,
        action_log: ActionLog,
        marketplace: Marketplace,
        xero: Callable[[str], tuple[XeroConnection, XeroAccounting]],
        clock: Clock,
    ) -> None:
        self._settings = settings
        self._links = links
        self._mappings = mappings
        self._tasks = tasks
        self._log = action_log
        self._marketplace = marketplace
        self._xero = xero
        self._clock = clock

    def run(self, job: SyncJob) -> SyncOutcome:
        settings = self._settings.get(job.reseller_id)
        link = self._links.get(job.reseller_id, job.customer_id) or CustomerLink(
            reseller_id=job.reseller_id, customer_id=job.customer_id
        )
        outcome = SyncOutcome()
        link, orders = self.check_changes(link, settings, outcome)
        if not job.process:
            return outcome
        open_tasks = [
            task
            for task in self._tasks.for_reseller(job.reseller_id, customer_id=job.customer_id)
            if task.is_processable(self._clock.now())
        ]
        if not open_tasks:
            return outcome
        by_id = {order.id: order for order in orders}
        connection, xero = self._xero(job.reseller_id)
        link = self._with_contact(link, xero)
        for task in open_tasks:
            order = by_id.get(task.order_id) or self._order(task, link)
            final = self._process(task, order, link, settings, xero, connection, job.actor)
            outcome.statuses[task.order_id] = final.status
        return outcome

    def give_up(self, job: SyncJob, problem: str) -> None:
        """The job's last delivery failed: it goes to the dead-letter queue, and the reseller is
        told, whatever the notifications setting."""
        self._log.add(
            ActionLogEntry(
                reseller_id=job.reseller_id,
                at=self._clock.now(),
                action="sync_job",
                status=LogStatus.ERROR,
                actor=job.actor,
                message=f"Syncing customer {job.customer_id} failed repeatedly and was set "
                f"aside for support (dead-letter queue): {problem}",
                customer_id=job.customer_id,
            )
        )

    def check_changes(
        self, link: CustomerLink, settings: Settings, outcome: SyncOutcome
    ) -> tuple[CustomerLink, list[MarketplaceOrder]]:
        """Record a task for every order created since the customer's cursor; the link as saved."""
        now = self._clock.now()
        since = link.orders_synced_until or now - FIRST_LOOK_BACK
        orders = self._marketplace.orders(link.customer_id, since)
        outcome.orders_seen = len(orders)
        for order in orders:
            task = SyncTask.from_order(link.reseller_id, order, now)
            if self._tasks.add_if_absent(task):
                outcome.tasks_created += 1
                self._note(
                    settings, task, LogStatus.INFO, f"Task created for order {order.order_number}"
                )
        newest = newest_creation(orders)
        if newest is not None:
            # The cursor moves only once the tasks are stored: a crash before here re-reads them.
            link = link.model_copy(update={"orders_synced_until": newest})
            self._links.save(link)
        return link, orders

    def _order(self, task: SyncTask, link: CustomerLink) -> MarketplaceOrder | None:
        since = task.created_at - FIRST_LOOK_BACK
        for order in self._marketplace.orders(link.customer_id, since):
            if order.id == task.order_id:
                return order
        return None

    def _process(
        self,
        task: SyncTask,
        order: MarketplaceOrder | None,
        link: CustomerLink,
        settings: Settings,
        xero: XeroAccounting,
        connection: XeroConnection,
        actor: str,
    ) -> SyncTask:
        now = self._clock.now()
        claimed = (
            task.resumed(now)
            if task.status is TaskStatus.PROCESSING
            else task.moved_to(TaskStatus.PROCESSING, now)
        )
        if not self._tasks.replace(claimed, previous=task):
            return task  # another worker took it
        try:
            if order is None:
                return self._finish(
                    claimed,
                    TaskStatus.ACTION_REQUIRED,
                    settings,
                    actor,
                    reason="the order is no longer returned by the marketplace",
                )
            contact_id = link.xero_contact_id
            if contact_id is None:
                return self._finish(
                    claimed,
                    TaskStatus.ACTION_REQUIRED,
                    settings,
                    actor,
                    reason=f"customer {link.customer_id} is not mapped to a Xero contact "
                    "and its profile is incomplete",
                )
            mappings = self._mappings.get_many(task.reseller_id, [line.mpn for line in order.lines])
            items = xero.items([m.xero_item_code for m in mappings.values()])
            plan = InvoicePlan.build(order, settings, contact_id, mappings, items)
            invoice = xero.find_invoice_by_reference(order.order_number) or xero.create_invoice(
                plan.invoice, idempotency_key(task.reseller_id, task.order_id, "invoice")
            )
        except (UnmappedProducts, ItemPriceMissing) as problem:
            return self._finish(
                claimed, TaskStatus.ACTION_REQUIRED, settings, actor, reason=str(problem)
            )
        except DocumentRejected as problem:
            return self._finish(
                claimed,
                TaskStatus.ACTION_REQUIRED,
                settings,
                actor,
                reason=f"Xero refused the invoice: {problem.message}",
            )
        except NotConnected as problem:
            return self._finish(
                claimed, TaskStatus.ACTION_REQUIRED, settings, actor, reason=problem.message
            )
        except UpstreamUnavailable as problem:
            return self._finish(claimed, TaskStatus.FAILED, settings, actor, reason=problem.message)
        except RateLimited as problem:
            # The task waits (failed, retried later); the whole job is redelivered after the pause.
            self._finish(claimed, TaskStatus.FAILED, settings, actor, reason=problem.message)
            raise
        document = XeroDocumentRef(
            kind="invoice",
            id=invoice.invoice_id or "",
            number=invoice.invoice_number,
            total=invoice.sub_total,
        )
        sub_total = (invoice.sub_total or Decimal(0)).quantize(CENT)
        if (
            settings.price_source is PriceSource.MARKETPLACE
            and sub_total != order.total.amount.quantize(CENT)
        ):
            return self._finish(
                claimed,
                TaskStatus.ACTION_REQUIRED,
                settings,
                actor,
                document=document,
                reason=f"Xero invoice comes to {sub_total} but the order to {order.total.amount}",
            )
        return self._finish(claimed, TaskStatus.SYNCED, settings, actor, document=document)

    def _with_contact(self, link: CustomerLink, xero: XeroAccounting) -> CustomerLink:
        """The link with its Xero contact: linked, matched by ContactNumber, or made from a
        complete profile (and saved); unchanged when none can be had."""
        if link.xero_contact_id:
            return link
        found = xero.find_contact_by_number(link.customer_id)
        if found is None:
            customer = self._marketplace.customer(link.customer_id)
            if customer.missing_for_contact():
                return link
            found = xero.create_contact(
                Contact(
                    contact_number=customer.id,
                    name=customer.name,
                    email_address=customer.email,
                    tax_number=customer.tax_reg_id,
                    first_name=customer.contact.first_name if customer.contact else None,
                    last_name=customer.contact.last_name if customer.contact else None,
                ),
                idempotency_key(link.reseller_id, customer.id, "contact"),
            )
        linked = link.model_copy(update={"xero_contact_id": found.contact_id})
        self._links.save(linked)
        return linked

    def _finish(
        self,
        task: SyncTask,
        status: TaskStatus,
        settings: Settings,
        actor: str,
        *,
        reason: str | None = None,
        document: XeroDocumentRef | None = None,
    ) -> SyncTask:
        done = task.moved_to(status, self._clock.now(), reason=reason, document=document)
        self._tasks.replace(done, previous=task)
        log_status = {
            TaskStatus.SYNCED: LogStatus.SUCCESS,
            TaskStatus.FAILED: LogStatus.ERROR,
        }.get(status, LogStatus.ACTION_REQUIRED)
        message = (
            f"Order {task.order_number} synced to Xero invoice {document.number}"
            if status is TaskStatus.SYNCED and document
            else f"Order {task.order_number}: {reason}"
        )
        self._note(settings, done, log_status, message, actor=actor)
        return done

    def _note(
        self,
        settings: Settings,
        task: SyncTask,
        status: LogStatus,
        message: str,
        *,
        actor: str = "scheduler",
    ) -> None:
        if settings.notifications is NotificationLevel.ERRORS_AND_ACTIONS and not status.is_problem:
            return
        self._log.add(
            ActionLogEntry(
                reseller_id=task.reseller_id,
                at=self._clock.now(),
                action="sync_task",
                status=status,
                actor=actor,
                message=message,
                customer_id=task.customer_id,
                order_id=task.order_id,
                xero_document_id=task.document.id if task.document else None,
            )
        )
