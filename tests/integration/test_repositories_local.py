"""Conditional writes on the real engine (DynamoDB Local): what exactly-once rests on."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from cbxero.adapters.dynamo import (
    DynamoConnectionRepository,
    DynamoCustomerLinkRepository,
    DynamoOAuthStateStore,
    DynamoOrganisationRecord,
    DynamoPendingGrantStore,
    DynamoProductMappingRepository,
    DynamoTaskRepository,
)
from cbxero.adapters.dynamo.drift import DynamoDriftRecords
from cbxero.domain.connection import (
    ConnectionStatus,
    ConnectStart,
    PendingGrant,
    StateLookup,
    TokenSet,
    XeroConnection,
    XeroTenant,
)
from cbxero.domain.marketplace import MarketplaceOrder, Money
from cbxero.domain.model import CustomerLink, ProductMapping, SyncTask, TaskStatus
from local.records import DynamoTaskRecords
from tests.conftest import LocalTables
from tests.fakes import FakeCipher

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def real(local_tables: LocalTables) -> tuple[Any, dict[str, str]]:
    return local_tables.client, local_tables.names


def a_task() -> SyncTask:
    order = MarketplaceOrder(
        id="42",
        order_number="SO42",
        type="sales",
        status="completed",
        customer_id="c1",
        created_at=NOW,
        total=Money(amount=Decimal("10.00"), currency="USD"),
    )
    return SyncTask.from_order("r1", order, NOW)


def test_a_task_is_created_once_however_many_workers_try(real: tuple[Any, dict[str, str]]) -> None:
    client, names = real
    repo = DynamoTaskRecords(client, names["TasksTable"])
    with ThreadPoolExecutor(8) as pool:
        created = list(pool.map(lambda _: repo.add_if_absent(a_task()), range(16)))
    assert created.count(True) == 1
    assert len(repo.for_reseller("r1")) == 1


def test_only_one_worker_claims_a_task(real: tuple[Any, dict[str, str]]) -> None:
    client, names = real
    repo = DynamoTaskRecords(client, names["TasksTable"])
    task = a_task()
    repo.add_if_absent(task)
    claims = [
        repo.replace(
            task.moved_to(TaskStatus.PROCESSING, NOW + timedelta(seconds=n)), previous=task
        )
        for n in range(3)
    ]
    assert claims == [True, False, False]
    stored = repo.get("r1", "42")
    assert stored is not None and stored.status is TaskStatus.PROCESSING


def test_an_oauth_state_is_consumed_once_and_not_after_expiry(
    real: tuple[Any, dict[str, str]],
) -> None:
    client, names = real
    states = DynamoOAuthStateStore(client, names["TokensTable"])
    start = ConnectStart(
        reseller_id="r1",
        user="ann",
        actor="ann@x",
        return_url="https://store.example.com/",
        verifier_hash="h",
    )
    states.put("s1", start, NOW + timedelta(minutes=10))
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: states.consume("s1", NOW), range(8)))
    assert results.count(StateLookup(start=start)) == 1
    assert results.count(StateLookup(start=start, problem="used")) == 7
    states.put("s2", start, NOW + timedelta(minutes=10))
    assert states.consume("s2", NOW + timedelta(minutes=11)).problem == "expired"
    assert states.consume("never-issued", NOW) == StateLookup()


def test_a_pending_grant_is_taken_once_and_its_tokens_are_sealed(
    real: tuple[Any, dict[str, str]],
) -> None:
    client, names = real
    pending = DynamoPendingGrantStore(client, names["TokensTable"], FakeCipher())
    start = ConnectStart(
        reseller_id="r1", user="ann", actor="a", return_url="https://s/", verifier_hash="h"
    )
    tokens = TokenSet(access_token="a-secret", refresh_token="r-secret", expires_at=NOW)
    grant = PendingGrant(start=start, tokens=tokens, tenants=(XeroTenant(tenant_id="t", name="T"),))
    pending.hold("handle-1", grant, NOW + timedelta(minutes=10))
    raw = client.scan(TableName=names["TokensTable"])["Items"]
    assert "handle-1" not in str(raw) and "r-secret" not in str(raw)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: pending.take("handle-1", NOW), range(6)))
    assert results.count((grant, True)) == 1 and results.count(None) == 5
    pending.hold("handle-2", grant, NOW + timedelta(minutes=10))
    assert pending.take("handle-2", NOW + timedelta(minutes=11)) == (grant, False)
    # Nobody finishes handle-3 and handle-4; handle-5 has time left.
    for n, minutes in ((3, 10), (4, 5), (5, 30)):
        pending.hold(f"handle-{n}", grant, NOW + timedelta(minutes=minutes))
    later = NOW + timedelta(minutes=11)
    assert pending.take_abandoned(later) == [grant, grant]
    assert pending.take_abandoned(later) == []
    assert pending.take("handle-5", later) == (grant, True)


def test_setting_aside_an_organisations_links_and_mappings(
    real: tuple[Any, dict[str, str]],
) -> None:
    client, names = real
    links = DynamoCustomerLinkRepository(client, names["MappingsTable"])
    mappings = DynamoProductMappingRepository(client, names["MappingsTable"])
    record = DynamoOrganisationRecord(client, names["MappingsTable"])
    old = XeroTenant(tenant_id="t-old", name="Old")
    record.bind("r1", old)
    links.save(
        CustomerLink(reseller_id="r1", customer_id="c1", xero_contact_id="x", auto_sync=True)
    )
    links.save(CustomerLink(reseller_id="r1", customer_id="c2"))
    mappings.save(ProductMapping(reseller_id="r1", mpn="M", product_name="P", xero_item_code="I"))
    assert record.set_aside("r1", old) == (1, 1)
    assert links.get("r1", "c1") == CustomerLink(reseller_id="r1", customer_id="c1", auto_sync=True)
    assert list(links.auto_sync_customers("r1")) == ["c1"]
    assert mappings.for_reseller("r1") == [] and mappings.products_for_item("r1", "I") == []
    assert len(links.for_reseller("r1")) == 2  # the archive is not read as links
    assert record.bound("r1") == old


def test_connection_versions_let_one_refresh_win(real: tuple[Any, dict[str, str]]) -> None:
    client, names = real
    repo = DynamoConnectionRepository(client, names["TokensTable"], FakeCipher())
    tokens = TokenSet(access_token="a0", refresh_token="r0", expires_at=NOW)
    first = XeroConnection(reseller_id="r1", status=ConnectionStatus.CONNECTED, tokens=tokens)
    assert repo.save(first, expected_version=None)
    assert not repo.save(first, expected_version=None)

    def refresh(n: int) -> bool:
        fresh = TokenSet(access_token=f"a{n}", refresh_token=f"r{n}", expires_at=NOW)
        return repo.save(
            first.model_copy(update={"tokens": fresh, "version": 1}), expected_version=0
        )

    with ThreadPoolExecutor(8) as pool:
        wins = list(pool.map(refresh, range(1, 17)))
    assert wins.count(True) == 1
    stored = repo.get("r1")
    assert stored is not None and stored.version == 1 and stored.tokens is not None
    # The token survives the round trip in full (stored, not masked).
    assert stored.tokens.refresh_token.get_secret_value().startswith("r")
    assert stored.tokens.refresh_token.get_secret_value() != "**********"


def task_for(order_id: str, customer_id: str = "c1") -> SyncTask:
    return a_task().model_copy(update={"order_id": order_id, "customer_id": customer_id})


def test_tasks_are_added_in_transactions_skipping_those_that_exist(
    real: tuple[Any, dict[str, str]],
) -> None:
    client, names = real
    repo = DynamoTaskRecords(client, names["TasksTable"])
    assert repo.add_if_absent(task_for("7"))
    created = repo.add_many_if_absent([task_for(str(n)) for n in range(150)])
    assert created == [n != 7 for n in range(150)]
    assert len(repo.for_reseller("r1")) == 150


def test_replacing_many_skips_stale_ones_and_keeps_the_indexes(
    real: tuple[Any, dict[str, str]],
) -> None:
    client, names = real
    repo = DynamoTaskRepository(client, names["TasksTable"])
    tasks = [task_for(str(n), customer_id=f"c{n % 2}") for n in range(6)]
    repo.add_many_if_absent(tasks)
    stale = tasks[3].model_copy(update={"updated_at": NOW - timedelta(days=1)})
    previous = [*tasks[:3], stale, *tasks[4:]]
    claims = [
        (t.moved_to(TaskStatus.PROCESSING, NOW), p) for t, p in zip(tasks, previous, strict=True)
    ]
    assert repo.replace_many(claims) == [True, True, True, False, True, True]
    # Processing tasks have a retry time (their lease): the sweep finds them once it passes.
    assert list(repo.due_for_retry(NOW)) == []
    assert sorted(repo.due_for_retry(NOW + timedelta(minutes=11))) == [("r1", "c0"), ("r1", "c1")]
    assert sorted(t.order_id for t in repo.open_for_customer("r1", "c0")) == ["0", "2", "4"]
    synced = claims[0][0].moved_to(TaskStatus.SYNCED, NOW)
    assert repo.replace(synced, previous=claims[0][0])
    assert sorted(t.order_id for t in repo.open_for_customer("r1", "c0")) == ["2", "4"]


def test_a_difference_is_acknowledged_once_however_many_requests_try(
    real: tuple[Any, dict[str, str]],
) -> None:
    client, names = real
    records = DynamoDriftRecords(client, names["MappingsTable"])
    with ThreadPoolExecutor(8) as pool:
        done = list(
            pool.map(
                lambda n: records.ignore("r1", "totals_differ:42", f"why {n}", "ann", NOW),
                range(16),
            )
        )
    assert done.count(True) == 1
    assert records.ignored("r1") == frozenset({"totals_differ:42"})
