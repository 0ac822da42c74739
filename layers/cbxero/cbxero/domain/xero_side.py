"""What Xero says of a document or a contact, as the product records it: pure decisions.

An event or a poll only says that something changed; the product reads the resource's current
state and records that. A reading is kept only when it is newer than the one recorded
(Xero's UpdatedDateUTC), so that an event delivered twice or out of order, or a poll that
overlaps an event, changes nothing twice and never puts an older state back.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from cbxero.domain.model import CustomerLink, LogStatus, XeroSide, XeroState
from cbxero.domain.xero import Contact, CreditNote, Invoice
from cbxero.domain.xero_events import EventCategory, EventType, XeroEvent

_GONE = {"VOIDED": XeroState.VOIDED, "DELETED": XeroState.DELETED}
_OPEN = ("SUBMITTED", "AUTHORISED")


def _money(value: Decimal | None) -> Decimal:
    return Decimal(0) if value is None else Decimal(value).quantize(Decimal("0.01"))


def side_of_invoice(invoice: Invoice, seen_at: datetime) -> XeroSide:
    """Where an invoice stands: DRAFT is draft; SUBMITTED or AUTHORISED awaits payment, or is
    part paid once something was paid; PAID is paid; VOIDED and DELETED are drift."""
    paid, due = _money(invoice.amount_paid), invoice.amount_due
    return XeroSide(
        state=_state(invoice.status, paid),
        amount_paid=paid,
        amount_due=None if due is None else _money(due),
        seen_at=invoice.updated_date_utc or seen_at,
    )


def side_of_credit_note(note: CreditNote, seen_at: datetime) -> XeroSide:
    """As for an invoice: what of the credit was used (allocated or refunded) counts as paid,
    the credit remaining as due."""
    remaining = note.remaining_credit
    used = _money((note.total or Decimal(0)) - remaining) if remaining is not None else Decimal(0)
    return XeroSide(
        state=_state(note.status, used),
        amount_paid=used,
        amount_due=None if remaining is None else _money(remaining),
        seen_at=note.updated_date_utc or seen_at,
    )


def _state(status: str, paid: Decimal) -> XeroState:
    if status in _GONE:
        return _GONE[status]
    if status == "PAID":
        return XeroState.PAID
    if status in _OPEN:
        return XeroState.PART_PAID if paid > 0 else XeroState.AWAITING_PAYMENT
    return XeroState.DRAFT


def newer_side(recorded: XeroSide | None, seen: XeroSide) -> XeroSide | None:
    """The side to record, or None when the reading changes nothing: the same as recorded, or
    older than it (a stale delivery never puts an older state back)."""
    if recorded is None:
        return seen
    if seen.seen_at < recorded.seen_at:
        return None
    return None if seen == recorded else seen


@dataclass(frozen=True)
class Notice:
    """What the Action Log says of a change Xero made."""

    status: LogStatus
    message: str


def side_notice(recorded: XeroSide | None, new: XeroSide, what: str) -> Notice | None:
    """The entry a change of a document's side deserves (`what`: "invoice INV-1"): paid, part
    paid with the amount, voided or deleted (drift), a payment taken back; None otherwise."""
    before = recorded.state if recorded else None
    # A credit note's credit is used (allocated or refunded), not paid, though Xero says PAID.
    credit = what.startswith("credit note")
    if new.state is XeroState.PART_PAID and (
        before is not XeroState.PART_PAID
        or recorded is None
        or recorded.amount_paid != new.amount_paid
    ):
        if credit:
            left = f", {new.amount_due} credit left" if new.amount_due is not None else ""
            used = f"{new.amount_paid} allocated or refunded{left}"
            return Notice(LogStatus.INFO, f"{what} partly used in Xero: {used}")
        due = f", {new.amount_due} still due" if new.amount_due is not None else ""
        return Notice(LogStatus.INFO, f"{what} part paid in Xero: {new.amount_paid} paid{due}")
    if new.state is before:
        return None
    if new.state is XeroState.PAID:
        if credit:
            used = f"{new.amount_paid} allocated or refunded"
            return Notice(LogStatus.SUCCESS, f"{what} used up in Xero ({used})")
        return Notice(LogStatus.SUCCESS, f"{what} paid in Xero ({new.amount_paid})")
    if new.state.is_drift:
        return Notice(
            LogStatus.ACTION_REQUIRED,
            f"{what} was {new.state.value} in Xero: the task stays synced and the document is "
            "not made again unless you choose remake in the drift report",
        )
    if before in (XeroState.PAID, XeroState.PART_PAID):
        return Notice(LogStatus.INFO, f"{what}: Xero now shows it {new.state.value}")
    return None


def link_seeing(link: CustomerLink, contact: Contact, seen_at: datetime) -> CustomerLink | None:
    """The link recording what Xero says of its contact (archived, merged into which one), or
    None when that changes nothing or is older than what the link records."""
    at = contact.updated_date_utc or seen_at
    if link.xero_contact_seen_at is not None and at < link.xero_contact_seen_at:
        return None
    merged = contact.merged_to_contact_id or None
    archived = contact.archived or merged is not None
    if (
        link.xero_contact_archived == archived
        and link.xero_contact_merged_into == merged
        and link.xero_contact_seen_at is not None
    ):
        return None
    return link.model_copy(
        update={
            "xero_contact_archived": archived,
            "xero_contact_merged_into": merged,
            "xero_contact_seen_at": at,
        }
    )


def link_notice(before: CustomerLink, after: CustomerLink, name: str) -> Notice | None:
    """The entry a contact's change deserves: merged, archived, or back in use."""
    if after.xero_contact_merged_into and (
        after.xero_contact_merged_into != before.xero_contact_merged_into
    ):
        return Notice(
            LogStatus.ACTION_REQUIRED,
            f"Xero contact {name} was merged into contact {after.xero_contact_merged_into}: "
            f"confirm the customer's contact",
        )
    if after.xero_contact_archived and not before.xero_contact_archived:
        return Notice(
            LogStatus.ACTION_REQUIRED,
            f"Xero contact {name} was archived: map the customer to an active contact",
        )
    if before.xero_contact_archived and not after.xero_contact_archived:
        return Notice(LogStatus.INFO, f"Xero contact {name} is active again")
    return None


def seen_as_event(
    tenant_id: str, category: EventCategory, resource_id: str, at: datetime
) -> XeroEvent:
    """A changed row a poll found, in the webhook's shape: an UPDATE at its UpdatedDateUTC."""
    collection = {
        EventCategory.INVOICE: "Invoices",
        EventCategory.CREDIT_NOTE: "CreditNotes",
        EventCategory.CONTACT: "Contacts",
    }.get(category, str(category))
    return XeroEvent(
        resource_url=f"https://api.xero.com/api.xro/2.0/{collection}/{resource_id}",
        resource_id=resource_id,
        event_date_utc=at,
        event_type=EventType.UPDATE,
        event_category=category,
        tenant_id=tenant_id,
        tenant_type="ORGANISATION",
    )


def entry_id(change: XeroEvent, subject: str, state: str) -> str:
    """The Action Log entry id of one change as Xero reports it (the resource at its
    UpdatedDateUTC, as `XeroEvent.key` names it) for one task or link: the same however often,
    and by whichever path (event or poll), it is seen."""
    return hashlib.sha256(f"{change.key}|{subject}|{state}".encode()).hexdigest()[:32]
