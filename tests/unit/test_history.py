"""History's pure decisions: the start date's bounds, open billing, the estimate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cbxero.domain.errors import InvalidInput
from cbxero.domain.history import (
    CALLS_PER_MINUTE,
    DEFAULT_LOOK_BACK,
    checked_start,
    default_start,
    earliest_start,
    estimate,
    open_billing,
    parsed_start,
)
from cbxero.domain.marketplace import MarketplaceOrder, Money, OrderStatus, OrderType

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_the_default_is_one_month_back() -> None:
    assert default_start(NOW) == NOW - timedelta(days=30) == NOW - DEFAULT_LOOK_BACK


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-01-31", datetime(2026, 1, 31, tzinfo=UTC)),
        ("2026-01-31T09:00:00+01:00", datetime(2026, 1, 31, 8, tzinfo=UTC)),
        ("2026-01-31T09:00Z", datetime(2026, 1, 31, 9, tzinfo=UTC)),
        ("2026-11-27T12:00:00Z", NOW),  # now itself is allowed
    ],
)
def test_a_start_is_a_date_or_a_date_time_with_its_offset(raw: str, expected: datetime) -> None:
    assert parsed_start(raw, NOW) == expected


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("0001-01-01", "two years"),
        ("0001-01-01T00:00:00+01:00", "not a real date"),  # before year 1 in UTC
        ("9999-12-31", "future"),
        ("9999-12-31T23:59:59-23:59", "not a real date"),
        ("2026-11-28", "future"),
        ("2026-11-27T12:00:01Z", "future"),
        ("2024-11-25", "two years"),
        ("2026-01-31T09:00:00", "offset"),
        ("2026-02-30", "not a real date"),
        ("yesterday", "a date"),
        ("", "a date"),
        ("1764244800", "a date"),
        ("2026-01-31 09:00:00+00:00 and more", "a date"),
        ("2" * 41, "a date"),
        ("\uff12\uff10\uff12\uff16-01-31", "a date"),  # full-width digits
        (20260131, "a date"),
        (None, "a date"),
    ],
)
def test_hostile_starts_are_refused_naming_the_field(raw: object, problem: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parsed_start(raw, NOW)
    assert refused.value.field == "from"
    assert problem in refused.value.message


@settings(derandomize=True, max_examples=200)
@given(st.datetimes(timezones=st.just(UTC)))
def test_an_accepted_start_is_never_in_the_future_nor_before_the_floor(start: datetime) -> None:
    if earliest_start(NOW) <= start <= NOW:
        assert checked_start(start, NOW) == start
    else:
        with pytest.raises(InvalidInput) as refused:
            checked_start(start, NOW)
        assert refused.value.field == "from"


def _order(
    n: int, kind: OrderType, status: OrderStatus = OrderStatus.COMPLETED
) -> MarketplaceOrder:
    return MarketplaceOrder(
        id=f"{n}",
        order_number=f"SO{n}",
        type=kind,
        status=status,
        customer_id="c1",
        created_at=NOW - timedelta(days=400 - n),
        total=Money(amount=Decimal(10), currency="USD"),
    )


def test_open_billing_is_the_newest_completed_charging_order() -> None:
    orders = [
        _order(1, OrderType.SALES),
        _order(2, OrderType.RENEWAL),
        _order(3, OrderType.RENEWAL, OrderStatus.CANCELLED),
        _order(4, OrderType.CANCELLATION),
        _order(5, OrderType.BILLING, OrderStatus.PROCESSING),
    ]
    found = open_billing(orders)
    assert found is not None and found.id == "2"
    assert open_billing([_order(4, OrderType.CANCELLATION)]) is None
    assert open_billing([]) is None


@settings(derandomize=True, max_examples=200)
@given(
    st.lists(
        st.tuples(st.sampled_from(list(OrderType)), st.sampled_from(list(OrderStatus))),
        max_size=12,
    )
)
def test_open_billing_is_one_of_the_orders_and_none_newer_charges(
    kinds: list[tuple[OrderType, OrderStatus]],
) -> None:
    orders = [_order(n, kind, status) for n, (kind, status) in enumerate(kinds)]
    found = open_billing(orders)
    charging = [
        o
        for o in orders
        if o.status is OrderStatus.COMPLETED and o.type is not OrderType.CANCELLATION
        if o.type not in (OrderType.MIGRATION, OrderType.UNKNOWN)
    ]
    if not charging:
        assert found is None
    else:
        assert found in charging
        assert all(o.created_at <= found.created_at for o in charging)


def test_the_estimate_within_todays_budget() -> None:
    # 10,000 tasks: 200 writes and 100 reads, 300 calls at 60 a minute.
    found = estimate(10_000, 5_000, 5_000, NOW)
    assert found.calls == 300
    assert found.fits_today
    assert found.minutes == pytest.approx(5)
    assert found.done_by == NOW + timedelta(minutes=5)
    assert estimate(1, 5_000, 5_000, NOW).calls == 2
    assert estimate(0, 0, 5_000, NOW).calls == 0


def test_calls_beyond_todays_budget_wait_for_the_next_utc_day() -> None:
    late = datetime(2026, 11, 27, 23, 58, tzinfo=UTC)  # budget left, but two minutes of today
    assert not estimate(10_000, 5_000, 5_000, late).fits_today
    assert estimate(10_000, 5_000, 5_000, late).done_by == late + timedelta(minutes=5)
    found = estimate(10_000, 120, 5_000, NOW)
    assert not found.fits_today
    # 180 calls left for tomorrow: three minutes after midnight.
    assert found.done_by == datetime(2026, 11, 28, 0, 3, tzinfo=UTC)
    # 15,000 calls with nothing left today and 5,000 a day: three days.
    many = estimate(500_000, 0, 5_000, NOW)
    assert many.calls == 15_000
    assert many.done_by == datetime(2026, 11, 30, tzinfo=UTC) + timedelta(minutes=5_000 / 60)


@settings(derandomize=True, max_examples=200)
@given(
    st.integers(0, 200_000), st.integers(0, 5_000), st.integers(1, 5_000), st.integers(0, 86_399)
)
def test_the_estimate_never_promises_faster_than_the_limits(
    waiting: int, left: int, limit: int, second: int
) -> None:
    now = datetime(2026, 11, 27, tzinfo=UTC) + timedelta(seconds=second)
    found = estimate(waiting, left, limit, now)
    assert found.calls * 50 >= waiting  # every task's document goes in some call
    # Never faster than 60 calls a minute, whatever the budget.
    assert found.done_by >= now + timedelta(minutes=found.calls / CALLS_PER_MINUTE)
    if found.fits_today:
        assert found.calls <= left
    else:
        later_days = (found.calls - left) / limit
        assert (found.done_by - now).total_seconds() >= (later_days - 1) * 86_400


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="never negative"):
        estimate(-1, 0, 5_000, NOW)
