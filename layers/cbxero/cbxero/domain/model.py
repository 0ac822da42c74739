"""The integration's own records: customer links, product mappings, sync tasks, the Action Log
(the Xero connection's are in `domain/connection.py`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from uuid import uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, computed_field, field_validator

from cbxero.domain.errors import IllegalTransition
from cbxero.domain.marketplace import MarketplaceOrder, OrderStatus, OrderType
from cbxero.domain.settings import PriceSource


class TrackingChoice(BaseModel):
    """A tracking category and one of its options, by name, as the reseller chose them from
    the organisation's lists (a line carries at most two)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="A tracking category's name.")
    option: str = Field(min_length=1, max_length=100, description="One of its options' name.")


class CustomerLink(BaseModel):
    """A marketplace customer, its Xero contact and its sync switch and cursor."""

    model_config = ConfigDict(frozen=True)

    reseller_id: str
    customer_id: str
    xero_contact_id: str | None = None
    auto_sync: bool = False
    orders_synced_until: AwareDatetime | None = None
    # What Xero last said of the contact (webhook events, polls): archived, or merged into
    # another contact (Xero archives the one merged away), and when Xero changed it.
    xero_contact_archived: bool = False
    xero_contact_merged_into: str | None = None
    xero_contact_seen_at: AwareDatetime | None = None

    def with_contact(self, contact_id: str | None) -> CustomerLink:
        """Linked to another contact: what Xero said of the one before no longer applies."""
        if contact_id == self.xero_contact_id:
            return self
        return self.model_copy(
            update={
                "xero_contact_id": contact_id,
                "xero_contact_archived": False,
                "xero_contact_merged_into": None,
                "xero_contact_seen_at": None,
            }
        )

    # Tracking for the customer's lines (categories the product's mapping leaves open).
    tracking: tuple[TrackingChoice, ...] = ()


class ProductMapping(BaseModel):
    """A marketplace product (by MPN) mapped to a Xero item (by code)."""

    model_config = ConfigDict(frozen=True)

    reseller_id: str
    mpn: str
    product_name: str
    xero_item_code: str = Field(min_length=1, max_length=30)
    xero_item_id: str | None = None
    # Chosen from the organisation's lists; each falls back to the item's own, then the
    # settings' default (domain/chart.py `line_choices`).
    account_code: str | None = Field(None, min_length=1, max_length=10)
    tax_type: str | None = Field(None, min_length=1, max_length=50)
    tracking: tuple[TrackingChoice, ...] = ()


class TaskStatus(StrEnum):
    NEW = "new"
    PROCESSING = "processing"
    SYNCED = "synced"
    FAILED = "failed"
    ACTION_REQUIRED = "action_required"
    IGNORED = "ignored"

    @property
    def is_final(self) -> bool:
        """Nothing more happens to a task in this status by itself (only a user un-ignores)."""
        return self in _FINAL

    @property
    def can_sync_by_hand(self) -> bool:
        """The store lets a user sync a task in this status by hand (its lines edited first)."""
        return self in _BY_HAND

    @property
    def can_retry(self) -> bool:
        """A user may send a task in this status back to new, to be tried again."""
        return self in _RETRYABLE


_FINAL = frozenset({TaskStatus.SYNCED, TaskStatus.IGNORED})
_BY_HAND = frozenset({TaskStatus.NEW, TaskStatus.FAILED, TaskStatus.ACTION_REQUIRED})
_RETRYABLE = frozenset({TaskStatus.FAILED, TaskStatus.ACTION_REQUIRED})

_LEGAL: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.NEW: frozenset({TaskStatus.PROCESSING, TaskStatus.IGNORED}),
    TaskStatus.PROCESSING: frozenset(
        {TaskStatus.SYNCED, TaskStatus.FAILED, TaskStatus.ACTION_REQUIRED}
    ),
    TaskStatus.FAILED: frozenset({TaskStatus.PROCESSING, TaskStatus.NEW, TaskStatus.IGNORED}),
    TaskStatus.ACTION_REQUIRED: frozenset(
        {TaskStatus.PROCESSING, TaskStatus.NEW, TaskStatus.IGNORED}
    ),
    TaskStatus.IGNORED: frozenset({TaskStatus.NEW}),
    TaskStatus.SYNCED: frozenset(),
}

SYNCABLE_ORDER_TYPES = frozenset(
    {
        OrderType.SALES,
        OrderType.CHANGE,
        OrderType.RENEWAL,
        OrderType.BILLING,
        OrderType.CANCELLATION,
    }
)

# A task left in processing this long is taken to belong to a worker that died.
PROCESSING_LEASE = timedelta(minutes=10)
# Failed tasks wait 1, 2, 4 ... minutes between attempts, at most this long.
LONGEST_BACK_OFF = timedelta(hours=6)
# A task waiting for the reseller (a mapping, a currency) is looked at again this often.
ACTION_RECHECK = timedelta(hours=1)


def back_off(attempts: int) -> timedelta:
    """How long a task that failed `attempts` times waits before the next try."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), LONGEST_BACK_OFF)


class LineEdit(BaseModel):
    """A reseller's change to one planned line before syncing by hand (index: the order line)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    index: int = Field(ge=0, le=499)
    description: str | None = Field(None, min_length=1, max_length=4000)
    quantity: Decimal | None = Field(None, gt=-1_000_000_000, lt=1_000_000_000)
    unit_amount: Decimal | None = Field(None, ge=-1_000_000_000, le=1_000_000_000)
    discount_amount: Decimal | None = Field(None, ge=0, le=1_000_000_000)
    price_source: PriceSource | None = None


class TargetChoice(StrEnum):
    NEW = "new"
    LATEST = "latest"
    GIVEN = "given"


XERO_LINKS = {
    "invoice": "https://go.xero.com/app/invoicing/view/{id}",
    "credit_note": "https://go.xero.com/AccountsReceivable/ViewCreditNote.aspx?creditNoteID={id}",
}


class XeroDocumentRef(BaseModel):
    """A document a task made in Xero, with the link that opens it there."""

    model_config = ConfigDict(frozen=True)

    kind: str
    id: str
    number: str | None = None
    total: Decimal | None = None

    @field_validator("total")
    @classmethod
    def _to_the_cent(cls, total: Decimal | None) -> Decimal | None:
        # Xero's JSON numbers arrive as floats (20.0); a document's total is money.
        return None if total is None else total.quantize(Decimal("0.01"), ROUND_HALF_UP)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def link(self) -> str | None:
        template = XERO_LINKS.get(self.kind)
        return template.format(id=self.id) if template else None


class XeroState(StrEnum):
    """Where the task's document stands in Xero, as an event or a poll last read it."""

    DRAFT = "draft"
    AWAITING_PAYMENT = "awaiting_payment"
    PART_PAID = "part_paid"
    PAID = "paid"
    VOIDED = "voided"
    DELETED = "deleted"

    @property
    def is_drift(self) -> bool:
        """Voided or deleted in Xero: the books disagree until the reseller says what to do;
        such a document is never made again by itself."""
        return self in (XeroState.VOIDED, XeroState.DELETED)


class XeroSide(BaseModel):
    """What Xero last said about a task's document (its invoice, else its credit note)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    state: XeroState
    amount_paid: Decimal = Decimal(0)
    amount_due: Decimal | None = None
    seen_at: AwareDatetime


class PaymentMade(BaseModel):
    """One marketplace payment in the task's ledger of payments: recorded before it goes to
    Xero (no id yet: it may have reached Xero, so look before sending again) and after Xero
    answered (Xero's PaymentID)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reference: str
    amount: Decimal
    payment_id: str | None = None


class SyncTask(BaseModel):
    """One marketplace order on its way to Xero; knows which status changes are legal."""

    model_config = ConfigDict(frozen=True)

    reseller_id: str
    order_id: str
    order_number: str
    order_type: OrderType
    customer_id: str
    order_total: Decimal
    currency: str
    ordered_at: AwareDatetime | None = None
    status: TaskStatus = TaskStatus.NEW
    reason: str | None = None
    attempts: int = 0
    created_at: AwareDatetime
    updated_at: AwareDatetime
    document: XeroDocumentRef | None = None
    credit_note: XeroDocumentRef | None = None
    # Set from Xero's side (webhook events, polls) once the document exists.
    xero_side: XeroSide | None = None
    # What the sync did besides documents (a downgrade's quantity change, say).
    note: str | None = None
    # When the retry sweep should look at this task again; None once it is final or new.
    retry_at: AwareDatetime | None = None
    # Set by a sync by hand: edited lines and where the lines go.
    edits: tuple[LineEdit, ...] = ()
    target: TargetChoice | None = None
    target_invoice_id: str | None = None
    # The ids of the lines Xero holds for this order on an invoice that collects orders.
    line_item_ids: tuple[str, ...] = ()
    # A write carrying this task's document went to Xero (its answer may have been lost).
    sent: bool = False
    # The ledger of the order's payments pushed to Xero, and whether one waits for Xero (a
    # draft invoice): such a task is looked at again although it holds its document.
    payments: tuple[PaymentMade, ...] = ()
    payments_waiting: bool = False
    # The reseller said to make the order's document again although Xero's was voided or
    # deleted (the drift report's remake); without it such a document is never made again.
    remake_confirmed: bool = False
    # Lines whose tax Xero computed differently from the marketplace's, said per line.
    tax_differences: tuple[str, ...] = ()

    @property
    def task_id(self) -> str:
        # One task per order: its id is the order's, so creating it twice is a no-op.
        return self.order_id

    @classmethod
    def from_order(cls, reseller_id: str, order: MarketplaceOrder, now: datetime) -> SyncTask:
        """A new task for an order; orders we never sync become ignored tasks saying why."""
        status, reason = TaskStatus.NEW, None
        if order.type not in SYNCABLE_ORDER_TYPES:
            status, reason = TaskStatus.IGNORED, f"orders of type {order.type} are not synced"
        elif order.status is not OrderStatus.COMPLETED:
            status, reason = TaskStatus.IGNORED, f"order is {order.status}, not completed"
        return cls(
            reseller_id=reseller_id,
            order_id=order.id,
            order_number=order.order_number,
            order_type=order.type,
            customer_id=order.customer_id,
            order_total=order.total.amount,
            currency=order.total.currency,
            ordered_at=order.created_at,
            status=status,
            reason=reason,
            created_at=now,
            updated_at=now,
        )

    @property
    def is_final(self) -> bool:
        return self.status.is_final

    @property
    def can_sync_by_hand(self) -> bool:
        return self.status.can_sync_by_hand

    @property
    def can_retry(self) -> bool:
        return self.status.can_retry

    @property
    def taken_up_by_hand(self) -> bool:
        """Whether a worker takes this task up when a by-hand job names it, whatever its
        retry time: one the store let sync by hand, or one still in processing (a job
        delivered again after its worker died)."""
        return self.can_sync_by_hand or self.status is TaskStatus.PROCESSING

    def can_become(self, status: TaskStatus) -> bool:
        return status in _LEGAL[self.status]

    def moved_to(
        self,
        status: TaskStatus,
        now: datetime,
        *,
        reason: str | None = None,
        document: XeroDocumentRef | None = None,
        credit_note: XeroDocumentRef | None = None,
        note: str | None = None,
    ) -> SyncTask:
        """This task in a new status; raises IllegalTransition for a move the lifecycle forbids."""
        if not self.can_become(status):
            raise IllegalTransition(
                f"task {self.order_id} is {self.status}: it cannot become {status}"
            )
        attempts = self.attempts + 1 if status is TaskStatus.PROCESSING else self.attempts
        retry_at = {
            TaskStatus.PROCESSING: now + PROCESSING_LEASE,
            TaskStatus.FAILED: now + back_off(attempts),
            TaskStatus.ACTION_REQUIRED: now + ACTION_RECHECK,
        }.get(status)
        return self.model_copy(
            update={
                "status": status,
                "reason": reason,
                "attempts": attempts,
                "updated_at": now,
                "retry_at": retry_at,
                "document": document or self.document,
                "credit_note": credit_note or self.credit_note,
                "note": note or self.note,
            }
        )

    def retried_after(self, seconds: float) -> SyncTask:
        """A failed task told exactly when to come back (Xero's Retry-After)."""
        return self.model_copy(update={"retry_at": self.updated_at + timedelta(seconds=seconds)})

    def deferred(self, now: datetime, reason: str) -> SyncTask:
        """A task a run could not take up (the task store or the token failed first): it keeps
        its status and waits with the reason until a retry time, which the retry sweep honours
        (a new task included, so that it is not forgotten when auto-sync is off)."""
        keeps_reason = self.status is TaskStatus.ACTION_REQUIRED
        return self.model_copy(
            update={
                "reason": self.reason if keeps_reason else reason,
                "attempts": self.attempts + 1,  # the waits grow, as a failed task's do
                "retry_at": now + back_off(self.attempts + 1),
                "updated_at": now,
            }
        )

    @property
    def may_have_reached_xero(self) -> bool:
        """A task whose document was sent before (or whose worker died, so nobody knows) may
        be in Xero already: look first."""
        return self.sent or self.document is not None or self.credit_note is not None

    @property
    def drifted(self) -> bool:
        """Its document was voided or deleted in Xero: the books disagree until the reseller
        says what to do."""
        return self.xero_side is not None and self.xero_side.state.is_drift

    def is_processable(self, now: datetime) -> bool:
        """New tasks; failed or waiting ones when due; processing ones whose worker's lease
        ran out. A task holding a document whose totals disagree waits for the reseller, and
        so does one whose document was voided or deleted in Xero (never made again by itself)."""
        if self.drifted and not self.remake_confirmed:
            return False
        if self.status is TaskStatus.NEW:  # unless a failed run set it aside for a while
            return self.retry_at is None or self.retry_at <= now
        holds_document = self.document is not None and not self.payments_waiting
        if self.status is TaskStatus.ACTION_REQUIRED and holds_document:
            return False
        if self.status in {TaskStatus.PROCESSING, TaskStatus.FAILED, TaskStatus.ACTION_REQUIRED}:
            return self.retry_at is None or self.retry_at <= now
        return False

    def claimed(self, now: datetime) -> SyncTask:
        """This task taken up by a worker: processing, or a dead worker's task taken over."""
        if self.status is TaskStatus.PROCESSING:  # its worker died, maybe mid-call
            return self.model_copy(
                update={
                    "attempts": self.attempts + 1,
                    "updated_at": now,
                    "retry_at": now + PROCESSING_LEASE,
                    "sent": True,
                }
            )
        return self.moved_to(TaskStatus.PROCESSING, now)


class LogStatus(StrEnum):
    INFO = "info"
    SUCCESS = "success"
    ERROR = "error"
    ACTION_REQUIRED = "action_required"

    @property
    def is_problem(self) -> bool:
        return self in {LogStatus.ERROR, LogStatus.ACTION_REQUIRED}


SCHEDULER = "scheduler"


class ActionLogEntry(BaseModel):
    """One line of the reseller's Action Log, also shown as a notification while unread."""

    model_config = ConfigDict(frozen=True)

    reseller_id: str
    entry_id: str = Field(default_factory=lambda: uuid4().hex)
    at: AwareDatetime
    action: str
    status: LogStatus
    actor: str = SCHEDULER
    message: str
    customer_id: str | None = None
    order_id: str | None = None
    xero_document_id: str | None = None
    read: bool = False
