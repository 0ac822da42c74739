"""The run's ledger: every claimed task ends once; a task that went out in a write is stored as
sent; a claim lost to another worker is not reported; claims that cannot be stored go back."""

from __future__ import annotations

from decimal import Decimal

from cbxero.domain.marketplace import OrderType
from cbxero.domain.model import SyncTask, TaskStatus
from cbxero.services.sync.ledger import Ledger
from tests.fakes import FakeTasks, FixedClock


def claimed(tasks: FakeTasks, clock: FixedClock, *order_ids: str) -> list[SyncTask]:
    now = clock.now()
    out = []
    for order_id in order_ids:
        new = SyncTask(
            reseller_id="r1",
            order_id=order_id,
            order_number=f"SO{order_id}",
            order_type=OrderType.SALES,
            customer_id="c1",
            order_total=Decimal("1.00"),
            currency="EUR",
            created_at=now,
            updated_at=now,
        )
        tasks.add_if_absent(new)
        taken = new.claimed(now)
        assert tasks.replace(taken, previous=new)
        out.append(taken)
    return out


def test_a_task_ends_once_and_a_sent_one_is_stored_as_sent() -> None:
    tasks, clock = FakeTasks(), FixedClock()
    one, two = claimed(tasks, clock, "1", "2")
    ledger = Ledger(tasks, clock, [one, two])
    ledger.mark_sent(["1"])
    ledger.end(one, TaskStatus.SYNCED, None)
    ledger.end(one, TaskStatus.ACTION_REQUIRED, "again")  # already ended: nothing
    ledger.abandon(TaskStatus.FAILED, "Xero is down")
    assert not ledger.is_open("1") and not ledger.is_open("2")
    stored = {e.done.order_id: e.done for e in ledger.flush()}
    assert (stored["1"].status, stored["1"].sent) == (TaskStatus.SYNCED, True)
    assert (stored["2"].status, stored["2"].sent, stored["2"].reason) == (
        TaskStatus.FAILED,
        False,
        "Xero is down",
    )
    assert ledger.flush() == []  # stored once


def test_a_claim_another_worker_took_is_no_longer_this_run_s() -> None:
    tasks, clock = FakeTasks(), FixedClock()
    (one,) = claimed(tasks, clock, "1")
    ledger = Ledger(tasks, clock, [one])
    clock.advance(minutes=1)
    tasks.tasks[("r1", "1")] = one.model_copy(update={"updated_at": clock.now()})  # taken over
    assert ledger.record(one, target_invoice_id="i1") is None
    assert not ledger.is_open("1")
    ledger.end(one, TaskStatus.SYNCED, None)
    assert ledger.flush() == []


def test_claims_that_cannot_be_stored_go_back_to_failed_keeping_what_was_sent() -> None:
    tasks, clock = FakeTasks(), FixedClock()
    one, two = claimed(tasks, clock, "1", "2")
    ledger = Ledger(tasks, clock, [one, two])
    ledger.mark_sent(["1"])
    ledger.end(one, TaskStatus.SYNCED, None)
    back = {task.order_id: (task, stored) for task, stored in ledger.releases("store down")}
    assert back["1"][1] == one and back["2"][1] == two  # from the versions stored
    assert all(task.status is TaskStatus.FAILED for task, _ in back.values())
    assert (back["1"][0].sent, back["2"][0].sent) == (True, False)
