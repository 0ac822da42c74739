"""Stage 0, guard: before anything of a task goes to Xero, what Xero changed under it. A contact
archived or merged, an item deleted or no longer sold, a currency the organisation has not
enabled: the task waits for the reseller with the action to take (`domain.guard`), nothing of it
is sent, and the batch's other tasks go on.

The whole batch is read at once, never one call per task: its linked contacts in one batched
read by id (the survivors of merges in a second, when the first did not bring them), its items
in the run's one read of the items (the plan takes them from there), the enabled currencies
once, and the organisation's name only when a currency is missing, to say where."""

from __future__ import annotations

from dataclasses import replace

from cbxero.domain.documents import mapping_key
from cbxero.domain.errors import NotFound
from cbxero.domain.guard import (
    ContactSeen,
    XeroSide,
    contacts_to_read,
    lines_to_send,
    order_hold,
    survivors_to_read,
)
from cbxero.domain.marketplace import MarketplaceOrder
from cbxero.domain.model import CustomerLink, SyncTask, TaskStatus
from cbxero.services.sync.work import Run, link_of


def guard(run: Run, claimed: list[SyncTask]) -> list[SyncTask]:
    """The claimed tasks that may go on to the plan; the others end waiting, saying why."""
    orders: dict[str, MarketplaceOrder] = {}
    for task in claimed:
        try:
            order = run.order(task)
        except NotFound:
            continue  # the plan says so
        if lines_to_send(order, run.settings):
            orders[task.order_id] = order
    if not orders:
        return claimed
    customers = {order.customer_id for order in orders.values()}
    links = {c: link_of(run.ports, run.reseller_id, c) for c in sorted(customers)}
    keys = {mapping_key(line) for o in orders.values() for line in lines_to_send(o, run.settings)}
    mappings = run.ports.mappings.get_many(run.reseller_id, sorted(keys))
    side = XeroSide(
        contacts=_contacts(run, list(links.values())),
        items=run.items(m.xero_item_code for m in mappings.values()),
        currencies={currency.code for currency in run.lists.currencies()},
        organisation="the organisation",
    )
    if any(o.total.currency not in side.currencies for o in orders.values()):
        side = replace(side, organisation=run.xero.organisation().name)
    kept = []
    for task in claimed:
        sending = orders.get(task.order_id)
        held = (
            order_hold(sending, run.settings, links[sending.customer_id], mappings, side)
            if sending is not None
            else None
        )
        if held is None:
            kept.append(task)
        else:
            run.ledger.end(task, TaskStatus.ACTION_REQUIRED, held)
    return kept


def _contacts(run: Run, links: list[CustomerLink]) -> dict[str, ContactSeen]:
    """The batch's linked contacts as Xero has them now, merge survivors included. A link's own
    flags, which Xero's webhooks set, describe the same contact: Xero's answer, read now, comes
    first, and the flags speak for a contact Xero no longer returns (say the archived half of a
    merge, since removed)."""
    wanted = contacts_to_read(links)
    if not wanted:
        return {}
    seen = {c.contact_id: c for c in map(ContactSeen.of, run.xero.contacts_by_id(wanted))}
    for link in links:
        flagged = ContactSeen.flagged(link)
        if flagged is not None and flagged.contact_id not in seen:
            seen[flagged.contact_id] = flagged
    survivors = survivors_to_read(seen)
    if survivors:
        seen |= {c.contact_id: c for c in map(ContactSeen.of, run.xero.contacts_by_id(survivors))}
    return seen
