"""The back-fill benchmark at a small size: a start chosen a year back makes a task for every
historic order and every active subscription's open billing, and the queued looks work them all
through the governor, continued across runs, with no 429 and no task twice."""

from __future__ import annotations

from benchmarks.backfill import run
from tests.conftest import LocalTables


def test_a_small_backfill_syncs_everything_within_the_limits(local_tables: LocalTables) -> None:
    result = run(local_tables.client, local_tables.names, orders=120, customers=4, tasks_per_run=20)
    assert result["tasks"] == result["synced"] == 120  # 116 historic, 4 open billing
    assert result["responses_429"] == 0
    assert result["jobs_queued"] == 4
    assert result["batches"] > 2  # customers were continued: more than one run's worth each
    assert result["progress_after"] == {"done": 120, "waiting": 0}
    # Per run (a batch of jobs): one write of up to 50 invoices, and four reads for the whole
    # batch: the items, the accounts (the accounting stage), the linked contacts and the
    # currencies (the guard).
    assert result["xero_calls"] <= result["batches"] * (1 + 4)
    assert result["virtual_minutes"] <= 1
    world = result["world"]
    references = [invoice["Reference"] for invoice in world.invoices()]
    assert len(references) == len(set(references)) == 120  # one document per order
