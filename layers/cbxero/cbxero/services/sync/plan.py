"""Stage 1, plan: each claimed task's order, its documents under the settings and mappings, and
the customer's Xero contact. A task that cannot be planned waits for the reseller, saying why."""

from __future__ import annotations

from collections import defaultdict

from cbxero.domain.contacts import ContactToConfirm, choose_contact
from cbxero.domain.documents import (
    DocumentPlan,
    PlanRefused,
    mapping_key,
)
from cbxero.domain.errors import DocumentRejected, NotFound
from cbxero.domain.idempotency import contact_key
from cbxero.domain.marketplace import MarketplaceOrder
from cbxero.domain.model import SyncTask, TaskStatus
from cbxero.domain.xero import Contact
from cbxero.services.sync.work import Run, Work, link_of, shares_invoice


def plan(run: Run, claimed: list[SyncTask]) -> list[Work]:
    """The work of every claimed task that can be planned; the others end waiting."""
    stop = run.ledger.end
    orders: dict[str, MarketplaceOrder] = {}
    for task in claimed:
        try:
            orders[task.order_id] = run.order(task)
        except NotFound:
            stop(task, TaskStatus.ACTION_REQUIRED, "the marketplace no longer has it")
    wanted = {mapping_key(line) for order in orders.values() for line in order.lines}
    mappings = run.ports.mappings.get_many(run.reseller_id, sorted(wanted))
    items = run.items({m.xero_item_code for m in mappings.values()}) if mappings else {}
    contacts = _Contacts(run)
    work = []
    for task in claimed:
        order = orders.get(task.order_id)
        if order is None:
            continue
        try:
            planned = DocumentPlan.build(order, run.settings, mappings, items, task.edits)
            contact_id = contacts.of(task.customer_id) if planned.moves_money else ""
        except PlanRefused as problem:
            stop(task, TaskStatus.ACTION_REQUIRED, str(problem))
            continue
        except ContactToConfirm as ask:
            stop(task, TaskStatus.ACTION_REQUIRED, str(ask))
            continue
        except DocumentRejected as problem:
            stop(task, TaskStatus.ACTION_REQUIRED, f"Xero refused the contact: {problem}")
            continue
        except NotFound:
            stop(
                task,
                TaskStatus.ACTION_REQUIRED,
                f"the marketplace no longer has customer {task.customer_id}",
            )
            continue
        if contact_id is None:
            stop(
                task,
                TaskStatus.ACTION_REQUIRED,
                f"customer {task.customer_id} is not mapped to a Xero contact and its "
                "profile is incomplete",
            )
            continue
        if shares_invoice(task, run.settings):  # its lines may join other orders' on one invoice
            planned = planned.marked()
        work.append(
            Work(task=task, order=order, contact_id=contact_id, plan=planned, note_before=task.note)
        )
    return work


class _Contacts:
    """The run's decisions about its customers' Xero contacts, each customer decided once."""

    def __init__(self, run: Run) -> None:
        self._run = run
        self._known: dict[str, str | ContactToConfirm | None] = {}

    def of(self, customer_id: str) -> str | None:
        """The customer's Xero contact: linked (the reseller's word, or an earlier decision);
        else the one `choose_contact` allows; else made from a complete profile; else None.
        Raises ContactToConfirm when only the reseller can tell which contact it is."""
        if customer_id in self._known:
            known = self._known[customer_id]
            if isinstance(known, ContactToConfirm):
                raise known
            return known
        run = self._run
        link = link_of(run.ports, run.reseller_id, customer_id)
        try:
            contact_id = link.xero_contact_id or self._match_or_create(customer_id)
        except ContactToConfirm as ask:
            self._known[customer_id] = ask
            raise
        if contact_id and not link.xero_contact_id:
            run.ports.links.save(link.model_copy(update={"xero_contact_id": contact_id}))
        self._known[customer_id] = contact_id
        return contact_id

    def _match_or_create(self, customer_id: str) -> str | None:
        run = self._run
        customer = run.ports.marketplace.customer(run.reseller_id, customer_id)
        found = run.xero.contacts_matching(customer.contact_criteria())
        choice = choose_contact(customer, found, self._holders(found))
        if choice.linked is not None:
            return choice.linked.contact_id
        if choice.to_confirm:
            raise ContactToConfirm(choice)
        if customer.missing_for_contact():
            return None
        made = run.xero.create_contact(
            customer.as_contact(), contact_key(run.reseller_id, customer.id)
        )
        return made.contact_id

    def _holders(self, found: list[Contact]) -> dict[str, set[str]]:
        """Which of the reseller's customers hold each contact: the stored links, and this run's
        own decisions (a link saved a moment ago may not be in the index yet)."""
        holders: dict[str, set[str]] = defaultdict(set)
        for contact in found:
            if contact.contact_id:
                holders[contact.contact_id].update(
                    self._run.ports.links.customers_linked_to(
                        self._run.reseller_id, contact.contact_id
                    )
                )
        for customer_id, known in self._known.items():
            if isinstance(known, str):
                holders[known].add(customer_id)
        return holders
