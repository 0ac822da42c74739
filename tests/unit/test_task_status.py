"""The task-status rules, each in one place: final, syncable by hand, retryable."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from cbxero.domain.marketplace import OrderType
from cbxero.domain.model import SyncTask, TaskStatus

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def task(status: TaskStatus) -> SyncTask:
    return SyncTask(
        reseller_id="r1",
        order_id="1",
        order_number="SO1",
        order_type=OrderType.SALES,
        customer_id="c1",
        order_total=Decimal("1.00"),
        currency="EUR",
        status=status,
        created_at=NOW,
        updated_at=NOW,
    )


S = TaskStatus
# status: (final, syncable by hand, retryable, taken up when a by-hand job names it)
RULES = {
    S.NEW: (False, True, False, True),
    S.PROCESSING: (False, False, False, True),
    S.SYNCED: (True, False, False, False),
    S.FAILED: (False, True, True, True),
    S.ACTION_REQUIRED: (False, True, True, True),
    S.IGNORED: (True, False, False, False),
}


@pytest.mark.parametrize("status", list(TaskStatus))
def test_each_status_s_rules(status: TaskStatus) -> None:
    t = task(status)
    assert (t.is_final, t.can_sync_by_hand, t.can_retry, t.taken_up_by_hand) == RULES[status]


@pytest.mark.parametrize("status", list(TaskStatus))
def test_a_final_task_cannot_move_on_by_itself(status: TaskStatus) -> None:
    # Only a user's un-ignore moves a final task (ignored back to new).
    onward = {s for s in TaskStatus if task(status).can_become(s)} - {TaskStatus.NEW}
    assert not (status.is_final and onward)
