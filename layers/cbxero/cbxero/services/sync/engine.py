"""The entry: `CustomerSync`, what the worker calls. Check changes turns a customer's new orders
into tasks; process claims a reseller's due tasks, runs them through the stages (`pipeline`),
stores how they ended, and keeps a failure inside its reseller."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from aws_lambda_powertools import Logger

from cbxero.domain.errors import (
    NotConnected,
    RateLimited,
    ReconnectNeeded,
    UpstreamUnavailable,
)
from cbxero.domain.history import DEFAULT_LOOK_BACK
from cbxero.domain.marketplace import IN_FLIGHT, MarketplaceOrder, newest_creation
from cbxero.domain.model import ActionLogEntry, LogStatus, SyncTask, TaskStatus
from cbxero.ports import (
    ActionLog,
    Clock,
    CustomerLinkRepository,
    HistoryRecord,
    Marketplace,
    ProductMappingRepository,
    SettingsRepository,
    SyncJob,
    TaskRepository,
    XeroAccounting,
)
from cbxero.services.sync import finish, pipeline
from cbxero.services.sync.ledger import Ledger
from cbxero.services.sync.reference import ListKeeper, OrganisationLists
from cbxero.services.sync.work import Ports, Run, link_of, note

logger = Logger(child=True)

# With no start chosen (cbxero.domain.history), "check changes" looks one month back.
FIRST_LOOK_BACK = DEFAULT_LOOK_BACK
# Tasks one run takes up for one reseller; the rest wait for the next run (the worker
# enqueues one at once), so that a run stays well inside the Lambda timeout.
TASKS_PER_RUN = 2000


@dataclass
class SyncOutcome:
    orders_seen: int = 0
    tasks_created: int = 0
    more: bool = False  # tasks were left for another run
    statuses: dict[str, TaskStatus] = field(default_factory=dict)
    # Resellers whose processing failed (the problem, for the Action Log and the queue):
    # their tasks were set aside with a retry time; their jobs are reported failed.
    failed: dict[str, str] = field(default_factory=dict)


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
        describe: Callable[[BaseException], str],
        tasks_per_run: int = TASKS_PER_RUN,
        history: HistoryRecord | None = None,
    ) -> None:
        self._ports = Ports(settings, links, mappings, tasks, action_log, marketplace, clock)
        self._history = history  # none: every reseller looks back the default month
        self._xero = xero
        self._tasks_per_run = tasks_per_run
        # What a failure says, for the Action Log and the queue: the adapters know its shapes,
        # so the composition passes their reading (cbxero.adapters.problems.problem_of).
        self._describe = describe
        self._orders: dict[str, MarketplaceOrder] = {}  # read during this run's check changes
        self._lists = ListKeeper(clock)  # organisations' accounts, currencies...: kept minutes

    # ------------------------------------------------------------------ the whole run
    def check_changes(self, job: SyncJob) -> SyncOutcome:
        """Record a task for every order created since the customer's cursor; on the first look
        (no cursor yet), from the reseller's history start, with every active subscription's
        open billing however old."""
        settings = self._ports.settings.get(job.reseller_id)
        link = link_of(self._ports, job.reseller_id, job.customer_id)
        outcome = SyncOutcome()
        now = self._ports.clock.now()
        since = link.orders_synced_until or self._history_start(job.reseller_id, now)
        orders = self._ports.marketplace.orders(link.customer_id, since)
        if link.orders_synced_until is None:
            seen = {order.id for order in orders}
            opened = self._ports.marketplace.open_billing(link.customer_id)
            orders = [order for order in opened if order.id not in seen] + orders
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
                note(
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
        if link.orders_synced_until is None:
            # Open billing older than the start never pulls the cursor back before it, and the
            # first look is remembered even with no order (the subscriptions are read once).
            newest = max(newest or since, since)
        if newest is not None and newest != link.orders_synced_until:
            # The cursor moves only once the tasks are stored: a crash before here re-reads them.
            self._ports.links.save(link.model_copy(update={"orders_synced_until": newest}))
        return outcome

    def _history_start(self, reseller_id: str, now: datetime) -> datetime:
        chosen = self._history.get(reseller_id) if self._history is not None else None
        return chosen.start if chosen is not None else now - FIRST_LOOK_BACK

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
        ledger: Ledger | None = None
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
            ledger = Ledger(self._ports.tasks, self._ports.clock, claimed)
            lists = OrganisationLists(xero, self._lists)
            run = Run(self._ports, reseller_id, settings, xero, actor, ledger, self._orders, lists)
            try:
                pipeline.sync(run, claimed)
            except RateLimited as limited:
                ledger.abandon(TaskStatus.FAILED, limited.message, retry_after=limited.retry_after)
            except ReconnectNeeded as refused:
                ledger.abandon(TaskStatus.ACTION_REQUIRED, refused.message)
            except (UpstreamUnavailable, NotConnected) as problem:
                ledger.abandon(TaskStatus.FAILED, problem.message)
            except Exception as failure:  # a bug or an answer we did not expect: retried later
                logger.exception("sync run failed", extra={"reseller_id": reseller_id})
                ledger.abandon(TaskStatus.FAILED, f"unexpected error ({type(failure).__name__})")
            for ended in ledger.flush():
                outcome.statuses[ended.done.order_id] = ended.done.status
                finish.tell(run, ended)
        except Exception as failure:
            self._set_aside(jobs, taken, ledger, claiming, self._describe(failure))
            raise

    def _set_aside(
        self,
        jobs: list[SyncJob],
        taken: list[tuple[SyncTask, SyncTask]],
        ledger: Ledger | None,
        claiming: bool,
        problem: str,
    ) -> None:
        """Processing failed (the task store, the token): the claims are released and every
        task waits with the reason and a retry time the retry sweep honours, so that none is
        left new and forgotten when auto-sync is off; the Action Log says so."""
        now = self._ports.clock.now()
        reason = f"sync interrupted: {problem}"
        if ledger is not None:  # claimed: back from what is stored to failed
            releases = ledger.releases(reason)
        elif claiming:  # the claim's outcome is unknown: release what it may have written
            releases = [
                (claim.moved_to(TaskStatus.FAILED, now, reason=reason), claim) for claim, _ in taken
            ]
        else:
            releases = []
        deferrals = (
            [] if ledger is not None else [(task.deferred(now, reason), task) for _, task in taken]
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
