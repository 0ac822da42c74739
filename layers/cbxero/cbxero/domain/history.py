"""History: how far back the integration looks, which billing of a subscription is still open,
and how long a back-fill will take under Xero's limits.

- The start date. A reseller chooses it when connecting and may move it later; before that the
  store's rule holds: one month back. It is never in the future and never before a floor of two
  years back: two years covers the current and the previous financial year, which is what an
  accountant brings into a new ledger, and keeps a back-fill inside a few days of the
  organisation's Xero budget (5,000 calls a day) instead of weeks.
- Open billing. CloudBlue creates tasks for every active customer subscription after set-up. In
  SimpleAPI's terms a subscription's open billing is the newest completed order that charged it
  (sales, renewal, billing or change; `GET /orders?subscriptionId=`): the order that bills the
  period the customer is in now. It is taken even when it is older than the start date, since
  it is what the customer currently owes for.
- The estimate. Waiting tasks become documents 50 to a Xero call, and each call of a run comes
  with its reads (contacts, items, look-ups by reference); the calls go at 60 a minute while the
  day's budget lasts, and the rest waits for the next UTC day.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, time, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict

from cbxero.domain.errors import InvalidInput
from cbxero.domain.marketplace import MarketplaceOrder, OrderStatus, OrderType

# With no start chosen, "check changes" looks one month back (the store's rule).
DEFAULT_LOOK_BACK = timedelta(days=30)
# The earliest start a reseller may choose, counted back from now (see the module's docstring).
LONGEST_LOOK_BACK = timedelta(days=731)
START_FIELD = "from"

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})",
    re.ASCII,
)


class HistoryStart(BaseModel):
    """The start date a reseller chose, who chose it and when."""

    model_config = ConfigDict(frozen=True)

    start: AwareDatetime
    chosen_at: AwareDatetime
    chosen_by: str


def default_start(now: datetime) -> datetime:
    """Where history starts before a reseller chooses: one month back."""
    return now - DEFAULT_LOOK_BACK


def earliest_start(now: datetime) -> datetime:
    """The floor: no start before this."""
    return now - LONGEST_LOOK_BACK


def parsed_start(raw: object, now: datetime, field: str = START_FIELD) -> datetime:
    """A start date as a reseller gives it: a date (`2026-01-31`, midnight UTC) or a date-time
    with its offset (`2026-01-31T09:00:00+01:00`), as UTC; not in the future, not before the
    floor. Anything else raises InvalidInput naming the field (`from`, unless told)."""
    if not isinstance(raw, str) or len(raw) > 40:
        raise InvalidInput("a date (2026-01-31) or a date-time with its offset", field=field)
    text = raw.strip()
    try:
        if _DATE.fullmatch(text):
            start = datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
        elif _DATE_TIME.fullmatch(text):
            start = datetime.fromisoformat(text.replace("z", "Z")).astimezone(UTC)
        elif _DATE_TIME.fullmatch(text + "Z"):
            raise InvalidInput("give the time's offset (say, Z)", field=field)
        else:
            raise InvalidInput("a date (2026-01-31) or a date-time with its offset", field=field)
    except (ValueError, OverflowError):  # 2026-02-30, or a time before year 1 once in UTC
        raise InvalidInput("not a real date", field=field) from None
    return checked_start(start, now, field)


def checked_start(start: datetime, now: datetime, field: str = START_FIELD) -> datetime:
    """The start if it is neither in the future nor before the floor; else InvalidInput."""
    if start > now:
        raise InvalidInput("the start date is in the future", field=field)
    floor = earliest_start(now)
    if start < floor:
        raise InvalidInput(
            f"the start date is more than two years back (earliest {floor.date().isoformat()})",
            field=field,
        )
    return start


# ---------------------------------------------------------------------- open billing
# Orders that charge a subscription for a period (a cancellation ends it; a migration moves it).
BILLING_TYPES = frozenset({OrderType.SALES, OrderType.RENEWAL, OrderType.BILLING, OrderType.CHANGE})


def open_billing(orders: list[MarketplaceOrder]) -> MarketplaceOrder | None:
    """A subscription's open billing: the newest completed order that charged it, or None."""
    charging = [
        order
        for order in orders
        if order.status is OrderStatus.COMPLETED and order.type in BILLING_TYPES
    ]
    return max(charging, key=lambda order: (order.created_at, order.id), default=None)


# ---------------------------------------------------------------------- the estimate
CALLS_PER_MINUTE = 60
DOCUMENTS_PER_WRITE = 50
# Reads that go with the write calls of a run (look-ups by reference, contacts, items), one per
# this many writes: the back-fill benchmark measured 71 reads for 200 writes (10,000 orders of
# 100 customers); one per two keeps the estimate on the safe side.
WRITES_PER_READ = 2


class Estimate(BaseModel):
    """How long the waiting tasks take: the Xero calls, the minutes of calls, whether today's
    budget covers them, and when they should be done."""

    model_config = ConfigDict(frozen=True)

    calls: int
    minutes: float
    fits_today: bool
    done_by: AwareDatetime


def estimate(waiting: int, budget_left: int, daily_limit: int, now: datetime) -> Estimate:
    """The time a back-fill of `waiting` tasks needs: 50 documents a write call and a read for
    every two writes, 60 calls a minute; calls beyond what is left of today's budget (or of
    today's minutes) wait for the next UTC day, and each day after takes `daily_limit` calls."""
    if waiting < 0 or budget_left < 0 or daily_limit < 1:
        raise ValueError("counts are never negative, and a day allows some calls")
    writes = math.ceil(waiting / DOCUMENTS_PER_WRITE)
    calls = writes + math.ceil(writes / WRITES_PER_READ)
    minutes = calls / CALLS_PER_MINUTE
    midnight = datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time(), UTC)
    # Today takes what is left of its budget, and no more than the minutes left before midnight.
    today = min(budget_left, int((midnight - now).total_seconds() / 60 * CALLS_PER_MINUTE))
    if calls <= today:
        return Estimate(
            calls=calls, minutes=minutes, fits_today=True, done_by=now + timedelta(minutes=minutes)
        )
    # The rest from midnight UTC on, a day's budget a day (a day has room for it at 60 a minute).
    days, rest = divmod(calls - today, min(daily_limit, 24 * 60 * CALLS_PER_MINUTE))
    if rest == 0:
        days, rest = days - 1, min(daily_limit, 24 * 60 * CALLS_PER_MINUTE)
    done_by = midnight + timedelta(days=days, minutes=rest / CALLS_PER_MINUTE)
    return Estimate(calls=calls, minutes=minutes, fits_today=False, done_by=done_by)
