"""The worker's use case: customers' new orders become sync tasks, and tasks become Xero documents.

A run has two steps. `check_changes` (per customer) records one task per new order and then
moves the customer's cursor. `process` (per reseller, for every customer of the run at once)
claims the due tasks, plans their documents, and sends them to Xero in batches of up to 50.

Exactly once, in three parts:
- a task is claimed (processing, with a lease) before any Xero call, and finished after;
- every write carries an Idempotency-Key derived from what it writes, so a retried call is
  answered with the first call's result;
- a task taken up again after it may have reached Xero is first looked for in Xero by its order
  number (invoices and credit notes carry it in Reference), and is not made twice. Lines added
  to an invoice that collects orders also carry the order's mark, and the invoice is recorded on
  the task before the call: the look-up reads that invoice's lines for the mark, and the totals
  check counts those lines only.

A failure while processing one reseller (the task store, the token) stays inside it: its claims
are released, its tasks wait with a retry time the retry sweep honours, and the outcome names it
so that the worker reports only its jobs as failed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

from aws_lambda_powertools import Logger

from cbxero.domain.contacts import ContactToConfirm, choose_contact
from cbxero.domain.documents import (
    CENT,
    DocumentPlan,
    ItemPriceMissing,
    UnmappedProducts,
    lines_of_order,
    mapping_key,
    reference_entries,
    with_reference,
)
from cbxero.domain.errors import (
    DocumentRejected,
    NotConnected,
    NotFound,
    RateLimited,
    ReconnectNeeded,
    UpstreamUnavailable,
    problem_of,
)
from cbxero.domain.idempotency import batch_key, contact_key, idempotency_key
from cbxero.domain.marketplace import IN_FLIGHT, MarketplaceOrder, newest_creation
from cbxero.domain.model import (
    ActionLogEntry,
    CustomerLink,
    LogStatus,
    SyncTask,
    TargetChoice,
    TaskStatus,
    XeroDocumentRef,
)
from cbxero.domain.reconcile import credit_to_apply, totals_verdict
from cbxero.domain.settings import InvoiceTarget, NotificationLevel, Settings
from cbxero.domain.xero import (
    DOCUMENTS_PER_CALL,
    Allocation,
    Contact,
    CreditNote,
    Invoice,
    InvoiceRef,
    ValidationError,
)
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

logger = Logger(child=True)

# With no task yet for a customer, "check changes" looks one month back (the store's rule).
FIRST_LOOK_BACK = timedelta(days=30)
# Tasks one run takes up for one reseller; the rest wait for the next run (the worker
# enqueues one at once), so that a run stays well inside the Lambda timeout.
TASKS_PER_RUN = 2000
NUMBER_TAKEN = "must be unique"
D = TypeVar("D", Invoice, CreditNote)


@dataclass
class SyncOutcome:
    orders_seen: int = 0
    tasks_created: int = 0
    more: bool = False  # tasks were left for another run
    statuses: dict[str, TaskStatus] = field(default_factory=dict)
    # Resellers whose processing failed (the problem, for the Action Log and the queue):
    # their tasks were set aside with a retry time; their jobs are reported failed.
    failed: dict[str, str] = field(default_factory=dict)


@dataclass
class _Work:
    """One claimed task on its way through a run."""

    task: SyncTask
    order: MarketplaceOrder
    contact_id: str
    plan: DocumentPlan
    invoice: Invoice | None = None
    credit_note: CreditNote | None = None
    credited: str | None = None  # what became of the credit note's allocation, for the task
    note_before: str | None = None  # the task's note when this run took it up


@dataclass(frozen=True)
class _Ports:
    settings: SettingsRepository
    links: CustomerLinkRepository
    mappings: ProductMappingRepository
    tasks: TaskRepository
    action_log: ActionLog
    marketplace: Marketplace
    clock: Clock


class CustomerSync:
    """Syncs customers of resellers: check changes, then process their due tasks."""

    def __init__(
        self,
        *,
        settings: SettingsRepository,
        links: CustomerLinkRepository,
        mappings: ProductMappingRepository,
        tasks: TaskRepository,
        action_log: ActionLog,
        marketplace: Marketplace,
        xero: Callable[[str], XeroAccounting],
        clock: Clock,
        tasks_per_run: int = TASKS_PER_RUN,
        describe: Callable[[BaseException], str] = problem_of,
    ) -> None:
        self._ports = _Ports(settings, links, mappings, tasks, action_log, marketplace, clock)
        self._xero = xero
        self._tasks_per_run = tasks_per_run
        # What a failure says, for the Action Log and the queue (the adapters know its shapes).
        self._describe = describe
        self._orders: dict[str, MarketplaceOrder] = {}  # read during this run's check changes

    # ------------------------------------------------------------------ the whole run
    def check_changes(self, job: SyncJob) -> SyncOutcome:
        """Record a task for every order created since the customer's cursor."""
        settings = self._ports.settings.get(job.reseller_id)
        link = _link(self._ports, job.reseller_id, job.customer_id)
        outcome = SyncOutcome()
        now = self._ports.clock.now()
        since = link.orders_synced_until or now - FIRST_LOOK_BACK
        orders = self._ports.marketplace.orders(link.customer_id, since)
        outcome.orders_seen = len(orders)
        for order in orders:
            self._orders[order.id] = order
        # An order still in flight gets its task once it completes (or fails): the cursor
        # stops at it, so the next look reads it again.
        ready = [order for order in orders if order.status not in IN_FLIGHT]
        tasks = [SyncTask.from_order(link.reseller_id, order, now) for order in ready]
        created = self._ports.tasks.add_many_if_absent(tasks)
        for task, order, new in zip(tasks, ready, created, strict=True):
            if new:
                outcome.tasks_created += 1
                _note(
                    self._ports,
                    settings,
                    task,
                    LogStatus.INFO,
                    f"Task created for {order.type} order {order.order_number}"
                    + (f" ({task.reason})" if task.reason else ""),
                    actor=job.actor,
                    action="task_created",
                )
        newest = newest_creation(orders)
        if newest is not None and newest != link.orders_synced_until:
            # The cursor moves only once the tasks are stored: a crash before here re-reads them.
            self._ports.links.save(link.model_copy(update={"orders_synced_until": newest}))
        return outcome

    def process(self, jobs: Sequence[SyncJob], outcome: SyncOutcome | None = None) -> SyncOutcome:
        """Process the due tasks of these jobs' customers, reseller by reseller, batching
        Xero's writes across customers."""
        outcome = outcome or SyncOutcome()
        by_reseller: dict[str, list[SyncJob]] = defaultdict(list)
        for job in jobs:
            if job.process:
                by_reseller[job.reseller_id].append(job)
        try:
            for reseller_id, group in by_reseller.items():
                try:
                    self._process_reseller(reseller_id, group, outcome)
                except Exception as failure:  # stays inside this reseller
                    logger.exception("processing failed", extra={"reseller_id": reseller_id})
                    outcome.failed[reseller_id] = self._describe(failure)
        finally:
            self._orders.clear()
        return outcome

    def give_up(self, job: SyncJob, problem: str) -> None:
        """The job's last delivery failed: it goes to the dead-letter queue, and the reseller is
        told, whatever the notifications setting."""
        self._ports.action_log.add(
            ActionLogEntry(
                reseller_id=job.reseller_id,
                at=self._ports.clock.now(),
                action="sync_job",
                status=LogStatus.ERROR,
                actor=job.actor,
                message=f"Syncing customer {job.customer_id} failed repeatedly and was set "
                f"aside for support (dead-letter queue): {problem}",
                customer_id=job.customer_id,
            )
        )

    def unreadable_job(self, reseller_id: str, customer_id: str | None, problem: str) -> None:
        """A queued job that is not a valid job: dropped (it can never succeed), and the
        reseller is told what could be read."""
        whose = f"customer {customer_id}" if customer_id else "a customer"
        self._ports.action_log.add(
            ActionLogEntry(
                reseller_id=reseller_id,
                at=self._ports.clock.now(),
                action="sync_job",
                status=LogStatus.ERROR,
                message=f"A sync job for {whose} could not be read and was dropped "
                f"({problem}); the customer's orders are taken up by the next sync",
                customer_id=customer_id,
            )
        )

    # ------------------------------------------------------------------ one reseller
    def _due_tasks(self, reseller_id: str, jobs: list[SyncJob]) -> tuple[list[SyncTask], bool]:
        now = self._ports.clock.now()
        due: list[SyncTask] = []
        for job in jobs:
            if job.task_ids:  # by hand: these tasks, whatever their retry time
                for task_id in job.task_ids:
                    task = self._ports.tasks.get(reseller_id, task_id)
                    if task is not None and task.taken_up_by_hand:
                        due.append(task)
                continue
            due.extend(
                task
                for task in self._ports.tasks.open_for_customer(reseller_id, job.customer_id)
                if task.is_processable(now)
            )
        # Two jobs of one batch may name the same task (a sync by hand and the schedule): it
        # is claimed once (a transaction may not touch one item twice).
        due = list({task.order_id: task for task in due}.values())
        due.sort(key=lambda task: (task.ordered_at or task.created_at, task.order_id))
        return due[: self._tasks_per_run], len(due) > self._tasks_per_run

    def _process_reseller(
        self, reseller_id: str, jobs: list[SyncJob], outcome: SyncOutcome
    ) -> None:
        due, more = self._due_tasks(reseller_id, jobs)
        outcome.more = outcome.more or more
        if not due:
            return
        actor = jobs[0].actor
        now = self._ports.clock.now()
        taken = [(task.claimed(now), task) for task in due]
        run: _Run | None = None
        claiming = False
        try:
            settings = self._ports.settings.get(reseller_id)
            try:
                xero = self._xero(reseller_id)
            except NotConnected:
                return  # tasks stay open; the next run after reconnecting takes them up
            claiming = True
            won = self._ports.tasks.replace_many(taken)
            claimed = [task for (task, _), ok in zip(taken, won, strict=True) if ok]
            run = _Run(self._ports, reseller_id, settings, xero, actor, self._orders)
            try:
                run.sync(claimed)
            except RateLimited as limited:
                run.abandon(TaskStatus.FAILED, limited.message, retry_after=limited.retry_after)
            except ReconnectNeeded as refused:
                run.abandon(TaskStatus.ACTION_REQUIRED, refused.message)
            except (UpstreamUnavailable, NotConnected) as problem:
                run.abandon(TaskStatus.FAILED, problem.message)
            except Exception as failure:  # a bug or an answer we did not expect: retried later
                logger.exception("sync run failed", extra={"reseller_id": reseller_id})
                run.abandon(TaskStatus.FAILED, f"unexpected error ({type(failure).__name__})")
            run.flush()
        except Exception as failure:
            self._set_aside(jobs, taken, run, claiming, self._describe(failure))
            raise
        finally:
            if run is not None:
                outcome.statuses.update(run.statuses)

    def _set_aside(
        self,
        jobs: list[SyncJob],
        taken: list[tuple[SyncTask, SyncTask]],
        run: _Run | None,
        claiming: bool,
        problem: str,
    ) -> None:
        """Processing failed (the task store, the token): the claims are released and every
        task waits with the reason and a retry time the retry sweep honours, so that none is
        left new and forgotten when auto-sync is off; the Action Log says so."""
        now = self._ports.clock.now()
        reason = f"sync interrupted: {problem}"
        if run is not None:  # claimed: back from what is stored to failed
            releases = run.releases(reason)
        elif claiming:  # the claim's outcome is unknown: release what it may have written
            releases = [
                (claim.moved_to(TaskStatus.FAILED, now, reason=reason), claim) for claim, _ in taken
            ]
        else:
            releases = []
        deferrals = (
            [] if run is not None else [(task.deferred(now, reason), task) for _, task in taken]
        )
        released: set[str] = set()
        try:
            done = self._ports.tasks.replace_many(releases) if releases else []
            released = {task.order_id for (task, _), ok in zip(releases, done, strict=True) if ok}
            deferrals = [(d, t) for d, t in deferrals if t.order_id not in released]
            stored = self._ports.tasks.replace_many(deferrals) if deferrals else []
            released |= {
                task.order_id for (task, _), ok in zip(deferrals, stored, strict=True) if ok
            }
        except Exception:  # the store still fails: the jobs come back (and, at last, the DLQ)
            logger.exception("tasks not set aside", extra={"reseller_id": jobs[0].reseller_id})
        customers = ", ".join(sorted({job.customer_id for job in jobs}))
        waiting = f"{len(released)} task(s) will be retried" if released else "it will be retried"
        self._ports.action_log.add(
            ActionLogEntry(
                reseller_id=jobs[0].reseller_id,
                at=now,
                action="sync_job",
                status=LogStatus.ERROR,
                actor=jobs[0].actor,
                message=f"Syncing customer(s) {customers} stopped ({problem}); {waiting}",
                customer_id=jobs[0].customer_id if len(jobs) == 1 else None,
            )
        )


def _link(ports: _Ports, reseller_id: str, customer_id: str) -> CustomerLink:
    return ports.links.get(reseller_id, customer_id) or CustomerLink(
        reseller_id=reseller_id, customer_id=customer_id
    )


def _note(
    ports: _Ports,
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


_NO_DOC = XeroDocumentRef(kind="none", id="")
_LOG_STATUS = {TaskStatus.SYNCED: LogStatus.SUCCESS, TaskStatus.FAILED: LogStatus.ERROR}


class _Run:
    """One reseller's claimed tasks through Xero; every task ends finished or abandoned."""

    def __init__(
        self,
        ports: _Ports,
        reseller_id: str,
        settings: Settings,
        xero: XeroAccounting,
        actor: str,
        orders: dict[str, MarketplaceOrder],
    ) -> None:
        self._ports = ports
        self._orders = orders
        self._reseller_id = reseller_id
        self._settings = settings
        self._xero = xero
        self._actor = actor
        self._open: dict[str, SyncTask] = {}
        self.statuses: dict[str, TaskStatus] = {}
        self._contacts: dict[str, str | ContactToConfirm | None] = {}
        self._sent: set[str] = set()  # tasks whose documents went out in a write
        self._follow_up: set[str] = set()  # synced, but the reseller has something to do in Xero
        self._ended: list[tuple[SyncTask, SyncTask, str]] = []  # (done, as stored, message)
        self._latest: dict[tuple[str, str], Invoice | None] = {}

    # ------------------------------------------------------------------ plan
    def sync(self, claimed: list[SyncTask]) -> None:
        self._open = {task.order_id: task for task in claimed}
        work = self._plan(claimed)
        for w in work:
            if self._may_share(w.task):  # its lines may join other orders' on one invoice
                w.plan = w.plan.marked()
        self._reconcile([w for w in work if w.task.may_have_reached_xero])
        pending = [w for w in work if w.task.order_id in self._open]
        nothing = [w for w in pending if not w.plan.moves_money]
        for w in nothing:
            self._finish(w, TaskStatus.SYNCED, None)
        existing = [w for w in pending if w.plan.charges and self._onto_existing(w)]
        for w in existing:
            self._add_to_existing(w)
        fresh = [w for w in pending if w.plan.charges and w.invoice is None]
        self._create_invoices([w for w in fresh if w.task.order_id in self._open])
        refunds = [w for w in pending if w.plan.refunds and w.task.order_id in self._open]
        self._create_credit_notes(refunds)
        for w in pending:
            if w.task.order_id in self._open:
                self._complete(w)

    def _plan(self, claimed: list[SyncTask]) -> list[_Work]:
        orders: dict[str, MarketplaceOrder] = {}
        for task in claimed:
            try:
                orders[task.order_id] = self._order(task)
            except NotFound:
                self._stop(task, TaskStatus.ACTION_REQUIRED, "the marketplace no longer has it")
        wanted = {mapping_key(line) for order in orders.values() for line in order.lines}
        mappings = self._ports.mappings.get_many(self._reseller_id, sorted(wanted))
        items = (
            self._xero.items(sorted({m.xero_item_code for m in mappings.values()}))
            if mappings
            else {}
        )
        work = []
        for task in claimed:
            order = orders.get(task.order_id)
            if order is None:
                continue
            try:
                plan = DocumentPlan.build(order, self._settings, mappings, items, task.edits)
                contact_id = self._contact(task.customer_id) if plan.moves_money else ""
            except (UnmappedProducts, ItemPriceMissing) as problem:
                self._stop(task, TaskStatus.ACTION_REQUIRED, str(problem))
                continue
            except ContactToConfirm as ask:
                self._stop(task, TaskStatus.ACTION_REQUIRED, str(ask))
                continue
            except DocumentRejected as problem:
                self._stop(task, TaskStatus.ACTION_REQUIRED, f"Xero refused the contact: {problem}")
                continue
            except NotFound:
                self._stop(
                    task,
                    TaskStatus.ACTION_REQUIRED,
                    f"the marketplace no longer has customer {task.customer_id}",
                )
                continue
            if contact_id is None:
                self._stop(
                    task,
                    TaskStatus.ACTION_REQUIRED,
                    f"customer {task.customer_id} is not mapped to a Xero contact and its "
                    "profile is incomplete",
                )
                continue
            work.append(
                _Work(
                    task=task, order=order, contact_id=contact_id, plan=plan, note_before=task.note
                )
            )
        return work

    def _order(self, task: SyncTask) -> MarketplaceOrder:
        order = self._orders.get(task.order_id)
        if order is None:
            order = self._ports.marketplace.order(task.order_id)
            self._orders[order.id] = order
        return order

    def _contact(self, customer_id: str) -> str | None:
        """The customer's Xero contact: linked (the reseller's word, or an earlier decision);
        else the one `choose_contact` allows; else made from a complete profile; else None.
        Raises ContactToConfirm when only the reseller can tell which contact it is."""
        if customer_id in self._contacts:
            known = self._contacts[customer_id]
            if isinstance(known, ContactToConfirm):
                raise known
            return known
        link = _link(self._ports, self._reseller_id, customer_id)
        try:
            contact_id = link.xero_contact_id or self._match_or_create(customer_id)
        except ContactToConfirm as ask:
            self._contacts[customer_id] = ask
            raise
        if contact_id and not link.xero_contact_id:
            self._ports.links.save(link.model_copy(update={"xero_contact_id": contact_id}))
        self._contacts[customer_id] = contact_id
        return contact_id

    def _match_or_create(self, customer_id: str) -> str | None:
        customer = self._ports.marketplace.customer(customer_id)
        if customer.reseller_id != self._reseller_id:  # never another reseller's customer
            raise NotFound(f"customer {customer_id} is not this reseller's")
        found = self._xero.contacts_matching(customer.contact_criteria())
        choice = choose_contact(customer, found, self._holders(found))
        if choice.linked is not None:
            return choice.linked.contact_id
        if choice.to_confirm:
            raise ContactToConfirm(choice)
        if customer.missing_for_contact():
            return None
        made = self._xero.create_contact(
            customer.as_contact(), contact_key(self._reseller_id, customer.id)
        )
        return made.contact_id

    def _holders(self, found: list[Contact]) -> dict[str, set[str]]:
        """Which of the reseller's customers hold each contact: the stored links, and this run's
        own decisions (a link saved a moment ago may not be in the index yet)."""
        holders: dict[str, set[str]] = defaultdict(set)
        for contact in found:
            if contact.contact_id:
                holders[contact.contact_id].update(
                    self._ports.links.customers_linked_to(self._reseller_id, contact.contact_id)
                )
        for customer_id, known in self._contacts.items():
            if isinstance(known, str):
                holders[known].add(customer_id)
        return holders

    # ------------------------------------------------------------------ look before re-making
    def _reconcile(self, work: list[_Work]) -> None:
        """Tasks that may have reached Xero before: adopt what Xero already has."""
        if not work:
            return
        numbers = [w.order.order_number for w in work]
        invoices = {
            number: invoice
            for invoice in self._xero.invoices_by_reference(numbers)
            for number in reference_entries(invoice.reference)
        }
        with_refunds = [w.order.order_number for w in work if w.plan.refunds]
        notes = (
            {n.reference: n for n in self._xero.credit_notes_by_reference(with_refunds)}
            if with_refunds
            else {}
        )
        for w in work:
            number = w.order.order_number
            if w.plan.charges:
                w.invoice = invoices.get(number) or self._target_holding(w)
            if w.plan.refunds:
                w.credit_note = notes.get(number)

    def _target_holding(self, w: _Work) -> Invoice | None:
        """The existing invoice recorded on the task, if our lines made it there: lines that
        carry the order's mark (the Reference may have had no room for its number)."""
        if not w.task.target_invoice_id:
            return None
        try:
            target = self._xero.invoice(w.task.target_invoice_id)
        except NotFound:
            return None  # gone from Xero: the lines go out again
        number = w.order.order_number
        if lines_of_order(target.line_items, number):
            return target
        return target if number in reference_entries(target.reference) else None

    # ------------------------------------------------------------------ invoices
    def _onto_existing(self, w: _Work) -> bool:
        return w.invoice is None and self._may_share(w.task)

    def _may_share(self, task: SyncTask) -> bool:
        """Whether the task's lines go onto an invoice that collects several orders."""
        if task.target is TargetChoice.NEW:
            return False
        return (
            task.target in (TargetChoice.LATEST, TargetChoice.GIVEN)
            or self._settings.invoice_target is InvoiceTarget.EXISTING
        )

    def _add_to_existing(self, w: _Work) -> None:
        """Our lines onto the customer's latest editable invoice (or the one chosen by hand),
        its own lines kept; a new invoice when there is none."""
        key = (w.contact_id, w.plan.currency)
        if w.task.target is TargetChoice.GIVEN and w.task.target_invoice_id:
            try:
                target: Invoice | None = self._xero.invoice(w.task.target_invoice_id)
            except NotFound:
                self._stop(w.task, TaskStatus.ACTION_REQUIRED, "the chosen Xero invoice is gone")
                return
            if target is not None and not target.editable:
                self._stop(
                    w.task,
                    TaskStatus.ACTION_REQUIRED,
                    f"Xero invoice {target.invoice_number} is locked (status {target.status}, "
                    "or paid or credited) and cannot take more lines",
                )
                return
        else:
            if key not in self._latest:
                self._latest[key] = self._xero.latest_editable_invoice(*key)
            target = self._latest[key]
        if target is None or target.invoice_id is None:
            self._start_invoice(w, key)
            return
        reference = with_reference(target.reference, w.order.order_number)
        if reference is None:  # no room left to name the order: a new invoice, never a stub
            if w.task.target is TargetChoice.GIVEN:
                self._stop(
                    w.task,
                    TaskStatus.ACTION_REQUIRED,
                    f"Xero invoice {target.invoice_number}'s Reference has no room for another "
                    "order number (255 characters): choose another invoice or a new one",
                )
                return
            self._start_invoice(w, key)
            return
        # The ledger: where the lines are going is stored before they go; the lines carry the
        # order's mark, so a retry finds them there whatever the Reference holds.
        task = self._record(w.task, target_invoice_id=target.invoice_id)
        if task is None:
            return
        w.task = task
        self._sent.add(w.task.order_id)
        updated = target.model_copy(
            update={"line_items": (*target.line_items, *w.plan.charges), "reference": reference}
        )
        try:
            result = self._xero.update_invoice(
                updated,
                idempotency_key(self._reseller_id, w.task.order_id, f"add{w.task.attempts}"),
            )
        except DocumentRejected as refused:
            if w.task.target is TargetChoice.GIVEN:
                self._stop(w.task, TaskStatus.ACTION_REQUIRED, f"Xero refused: {refused.message}")
            self._latest[key] = None  # it changed under us: the lines go on a new invoice
            return
        w.invoice = result
        self._latest[key] = result if result.editable else None

    def _start_invoice(self, w: _Work, key: tuple[str, str]) -> None:
        """A new invoice for this order, which the customer's next orders of the run join."""
        self._create_invoices([w])
        made = w.invoice if w.task.order_id in self._open else None
        self._latest[key] = made if made is not None and made.editable else None

    def _batches(
        self,
        work: list[_Work],
        make: Callable[[_Work], D | None],
        send: Callable[[list[D], str], list[D]],
        action: str,
    ) -> Iterator[tuple[_Work, D]]:
        """Each task's document, DOCUMENTS_PER_CALL to a call; (task, Xero's answer) pairs."""
        for start in range(0, len(work), DOCUMENTS_PER_CALL):
            chunk = work[start : start + DOCUMENTS_PER_CALL]
            documents = [document for w in chunk if (document := make(w)) is not None]
            self._sent.update(w.task.order_id for w in chunk)
            key = batch_key(self._reseller_id, (w.task for w in chunk), action)
            yield from zip(chunk, send(documents, key), strict=True)

    def _create_invoices(self, work: list[_Work]) -> None:
        made = self._batches(
            work,
            lambda w: w.plan.invoice(w.contact_id, self._settings),
            self._xero.create_invoices,
            "invoices",
        )
        for w, result in made:
            if not result.has_errors:
                w.invoice = result
                continue
            message = _errors(result.validation_errors)
            if NUMBER_TAKEN in message and result.invoice_number:
                owner = self._xero.invoice_by_number(result.invoice_number)
                if owner is not None and w.order.order_number in reference_entries(owner.reference):
                    w.invoice = owner  # ours, made by an earlier attempt
                    continue
                message = (
                    f"invoice number {result.invoice_number} is already used in Xero "
                    "by a document this integration did not make"
                )
            self._stop(w.task, TaskStatus.ACTION_REQUIRED, f"Xero refused the invoice: {message}")

    # ------------------------------------------------------------------ credit notes
    def _create_credit_notes(self, work: list[_Work]) -> None:
        made = self._batches(
            [w for w in work if w.credit_note is None],
            lambda w: w.plan.credit_note(w.contact_id, self._settings),
            self._xero.create_credit_notes,
            "credit-notes",
        )
        for w, result in made:
            if result.has_errors:
                message = _errors(result.validation_errors)
                self._stop(
                    w.task, TaskStatus.ACTION_REQUIRED, f"Xero refused the credit note: {message}"
                )
            else:
                w.credit_note = result
        for w in work:
            if w.task.order_id in self._open and w.credit_note is not None:
                self._allocate(w)

    def _allocate(self, w: _Work) -> None:
        """Apply the credit to the invoice it belongs with, while that invoice has a balance;
        when it cannot be applied, the task says why and what the reseller can do."""
        note = w.credit_note
        if note is None or note.credit_note_id is None or note.allocations:
            return
        unallocated = f"credit note {note.credit_note_number} is not allocated: "
        self._follow_up.add(w.task.order_id)  # taken back below once the credit is applied
        if note.status != "AUTHORISED":
            # Xero allocates only AUTHORISED credit notes, and only to AUTHORISED invoices.
            w.credited = unallocated + (
                "Xero allocates only approved (AUTHORISED) credit notes, to approved invoices, "
                f"and new documents are {note.status} here (setting new_invoice_status: "
                f"{self._settings.new_invoice_status.value}). Approve the credit note and the "
                "customer's invoice in Xero and apply the credit there, or set "
                "new_invoice_status to AUTHORISED for the next ones"
            )
            return
        invoice = w.invoice or self._xero.latest_invoice_due(w.contact_id, w.plan.currency)
        split = credit_to_apply(
            note.remaining_credit, note.total, invoice.amount_due if invoice else None
        )
        amount = split.amount
        if invoice is None or invoice.invoice_id is None or amount <= 0:
            w.credited = unallocated + (
                f"no invoice of the customer has an amount due in {w.plan.currency}; the credit "
                "stays on the contact in Xero, to apply to a later invoice or refund there"
            )
            return
        try:
            self._xero.allocate(
                note.credit_note_id,
                Allocation(
                    invoice=InvoiceRef(invoice_id=invoice.invoice_id),
                    amount=amount,
                    date=w.plan.day,
                ),
                idempotency_key(self._reseller_id, w.task.order_id, "allocate"),
            )
        except DocumentRejected as refused:
            w.credited = unallocated + f"Xero refused: {refused.message}"
            return
        w.credited = f"{amount.quantize(CENT)} credited to invoice {invoice.invoice_number}"
        left = split.left
        if left > 0:  # more credit than that invoice owed: the rest waits on the contact
            w.credited += (
                f"; {left.quantize(CENT)} stays on the contact in Xero, to apply to another "
                "invoice or refund there"
            )
            return
        self._follow_up.discard(w.task.order_id)

    # ------------------------------------------------------------------ finishing
    def _complete(self, w: _Work) -> None:
        """Synced when Xero's figures agree with the order's, else waiting for the reseller."""
        verdict = totals_verdict(w.plan, self._settings, w.invoice, w.credit_note)
        if verdict.line_item_ids:
            w.task = w.task.model_copy(update={"line_item_ids": verdict.line_item_ids})
        if verdict.note:
            w.task = w.task.model_copy(update={"note": verdict.note})
        if verdict.problem is not None:
            self._finish(w, TaskStatus.ACTION_REQUIRED, verdict.problem)
            return
        self._finish(w, TaskStatus.SYNCED, None)

    def _finish(self, w: _Work, status: TaskStatus, reason: str | None) -> None:
        document = credit = None
        if w.invoice is not None and w.invoice.invoice_id:
            document = XeroDocumentRef(
                kind="invoice",
                id=w.invoice.invoice_id,
                number=w.invoice.invoice_number,
                total=w.invoice.total,
            )
        if w.credit_note is not None and w.credit_note.credit_note_id:
            credit = XeroDocumentRef(
                kind="credit_note",
                id=w.credit_note.credit_note_id,
                number=w.credit_note.credit_note_number,
                total=w.credit_note.total,
            )
        # This run's notes; a note kept from an earlier attempt is not said twice.
        parts = [w.task.note if w.task.note != w.note_before else None, w.credited]
        if w.plan.quantity_changes:
            parts.append(
                "quantity change recorded, no money moved (downgrades: quantity only): "
                + "; ".join(w.plan.quantity_changes)
            )
        elif not w.plan.moves_money:
            parts.append("nothing to invoice: the order has no fees")
        note = "; ".join(part for part in parts if part) or None
        self._end(w.task, status, reason, document=document, credit_note=credit, note=note)

    def _stop(self, task: SyncTask, status: TaskStatus, reason: str) -> None:
        self._end(task, status, reason)

    def abandon(self, status: TaskStatus, reason: str, retry_after: float | None = None) -> None:
        """Xero stopped the run (a limit, an outage, a refused token): every task still open
        waits with the reason; those that had reached Xero are looked for on the next try."""
        for task in list(self._open.values()):
            self._end(task, status, reason, retry_after=retry_after)

    def releases(self, reason: str) -> list[tuple[SyncTask, SyncTask]]:
        """The run could not store how its tasks ended: each goes from the version stored back
        to failed with a retry time, keeping what reached Xero (sent, documents), so that the
        retry looks there first. Pairs of (released, stored)."""
        now = self._ports.clock.now()
        pairs = [(done, current) for done, current, _ in self._ended]
        pairs += [(task, task) for task in self._open.values()]
        released = []
        for done, current in pairs:
            back = current.moved_to(
                TaskStatus.FAILED,
                now,
                reason=reason,
                document=done.document,
                credit_note=done.credit_note,
            )
            if current.order_id in self._sent:
                back = back.model_copy(update={"sent": True})
            released.append((back, current))
        return released

    def _record(self, task: SyncTask, **changes: object) -> SyncTask | None:
        current = self._open.get(task.order_id, task)
        updated = current.model_copy(update={**changes, "updated_at": self._ports.clock.now()})
        if not self._ports.tasks.replace(updated, previous=current):
            self._open.pop(task.order_id, None)
            return None
        self._open[task.order_id] = updated
        return updated

    def _end(
        self,
        task: SyncTask,
        status: TaskStatus,
        reason: str | None,
        *,
        document: XeroDocumentRef | None = None,
        credit_note: XeroDocumentRef | None = None,
        note: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        current = self._open.pop(task.order_id, None)
        if current is None:
            return  # already ended, or another worker took it
        said = note  # this run's note, for the Action Log
        if task.note and not note:
            note = task.note
        done = current.moved_to(
            status,
            self._ports.clock.now(),
            reason=reason,
            document=document,
            credit_note=credit_note,
            note=note,
        )
        if retry_after is not None:
            done = done.retried_after(retry_after)
        if task.order_id in self._sent:
            done = done.model_copy(update={"sent": True})
        if task.line_item_ids:  # the ledger: the lines Xero holds for this order
            done = done.model_copy(update={"line_item_ids": task.line_item_ids})
        self._ended.append((done, current, _message(done, reason, said)))

    def flush(self) -> None:
        """Store the ended tasks (many to a call), then tell the Action Log. A worker that
        dies before this leaves them in processing: taken over after the lease, and looked
        for in Xero first."""
        ended = self._ended
        stored = self._ports.tasks.replace_many([(done, current) for done, current, _ in ended])
        self._ended = []  # stored: nothing left to release
        for (done, _, message), ok in zip(ended, stored, strict=True):
            if not ok:
                continue  # another worker's now
            self.statuses[done.order_id] = done.status
            status = _LOG_STATUS.get(done.status, LogStatus.ACTION_REQUIRED)
            if done.order_id in self._follow_up and status is LogStatus.SUCCESS:
                status = LogStatus.ACTION_REQUIRED  # e.g. a credit note left to apply by hand
            _note(self._ports, self._settings, done, status, message, actor=self._actor)


def _message(task: SyncTask, reason: str | None, note: str | None = None) -> str:
    """The Action Log's line for an ended task: what reached Xero, or that nothing did, with
    this run's note (why a credit is not allocated, what was recorded instead)."""
    if task.status is not TaskStatus.SYNCED:
        return f"Order {task.order_number}: {reason}" + (f" ({note})" if note else "")
    made = ", ".join(
        f"{ref.kind.replace('_', ' ')} {ref.number}"
        for ref in (task.document, task.credit_note)
        if ref
    )
    if not made:  # done, but no document: a quantity-only change, or no fees at all
        return f"Order {task.order_number}: nothing sent to Xero" + (
            f"; {task.note}" if task.note else ""
        )
    return f"Order {task.order_number} synced to Xero: {made}" + (
        f" ({task.note})" if task.note else ""
    )


def _errors(errors: Iterable[ValidationError]) -> str:
    return "; ".join(error.message for error in errors)
