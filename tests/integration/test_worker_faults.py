"""Nothing is lost in silence: the worker's batch on DynamoDB Local, with faults at each step.

A failure while processing one reseller (the claim throttled, the flush refused, the token
refresh failing) stays inside that reseller: its claims are released, its tasks get a retry time
the dispatcher's sweep honours, the Action Log says so, and only its messages are reported
failed. Every order ends synced, waiting with a reason, or in the dead-letter queue with an
Action Log entry.
"""

from __future__ import annotations

import pytest

from cbxero.domain.model import TaskStatus
from local.world import SyncWorld, dynamo_repositories
from tests.conftest import LocalTables

pytestmark = pytest.mark.dynamodb_local


@pytest.fixture
def world(local_tables: LocalTables) -> SyncWorld:
    built = SyncWorld(dynamo_repositories(local_tables.client, local_tables.names))
    built.configure(invoice_target="existing")
    built.product("TEAMS", "Teams Essentials", "4.00")
    return built


def test_two_jobs_for_one_customer_in_one_batch_claim_each_task_once(world: SyncWorld) -> None:
    # issue 9: a sync by hand and the schedule in one batch: the claim transaction wrote each
    # task twice, which AWS refuses whole (ValidationException, no cancellation reasons).
    customer = world.customer("Krauses Factory", linked=True)
    orders = [world.order(customer, [("TEAMS", n, "4.00")]) for n in (1, 2)]
    world.engine.check_changes(world.job(customer))
    by_hand = world.job(customer, task_ids=tuple(o["id"] for o in orders), actor="jane@reseller")
    world.engine.process([by_hand, world.job(customer, check=False)])
    assert {world.task(o).status for o in orders} == {TaskStatus.SYNCED}
    (invoice,) = world.invoices()
    assert len(invoice["LineItems"]) == 2
