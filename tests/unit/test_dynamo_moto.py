"""The DynamoDB repositories on moto, with tables made from template.yaml (fast checks)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from cbxero.adapters.dynamo import (
    DynamoCustomerLinkRepository,
    DynamoProductMappingRepository,
    DynamoSettingsRepository,
)
from cbxero.domain.connection import ConnectionStatus
from cbxero.domain.model import ActionLogEntry, CustomerLink, LogStatus, ProductMapping
from cbxero.domain.settings import AutoSync, Settings
from cbxero.ports import DueReseller
from local import template as cfn
from local.records import DynamoLogRecords
from local.stack import create_tables

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def tables(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, dict[str, str]]]:
    for name in ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        yield client, create_tables(client, "unit", cfn.load())


def test_settings_round_trip_and_default(tables: tuple[Any, dict[str, str]]) -> None:
    client, names = tables
    repo = DynamoSettingsRepository(client, names["ResellersTable"])
    assert repo.get("r1") == Settings()
    chosen = Settings(price_source="xero", due_date_terms={"rule": "OFFOLLOWINGMONTH", "days": 20})
    repo.save_if("r1", chosen, None)
    assert repo.get("r1") == chosen


def test_due_resellers_come_from_the_sparse_index(tables: tuple[Any, dict[str, str]]) -> None:
    client, names = tables
    repo = DynamoSettingsRepository(client, names["ResellersTable"])
    repo.save_if("r1", Settings(auto_sync=AutoSync.EVERY_5_MINUTES), None)
    repo.save_if("r2", Settings(auto_sync=AutoSync.DAILY), None)
    repo.save_if("r3", Settings(), None)
    assert list(repo.resellers_due(AutoSync.EVERY_5_MINUTES)) == [DueReseller("r1", False)]
    repo.set_connection_status("r1", ConnectionStatus.RECONNECT_NEEDED)
    repo.save_if("r1", Settings(auto_sync=AutoSync.EVERY_5_MINUTES), None)  # keeps the mirror
    assert list(repo.resellers_due(AutoSync.EVERY_5_MINUTES)) == [DueReseller("r1", True)]
    assert repo.reconnect_needed("r1") and not repo.reconnect_needed("r2")
    repo.save_if("r1", Settings(), None)  # switching off takes it out of the index
    assert list(repo.resellers_due(AutoSync.EVERY_5_MINUTES)) == []


def test_auto_sync_customers_index(tables: tuple[Any, dict[str, str]]) -> None:
    client, names = tables
    repo = DynamoCustomerLinkRepository(client, names["MappingsTable"])
    repo.save(CustomerLink(reseller_id="r1", customer_id="c1", auto_sync=True))
    repo.save(CustomerLink(reseller_id="r1", customer_id="c2"))
    repo.save(CustomerLink(reseller_id="r2", customer_id="c3", auto_sync=True))
    assert list(repo.auto_sync_customers("r1")) == ["c1"]
    assert [link.customer_id for link in repo.for_reseller("r1")] == ["c1", "c2"]


def test_customers_linked_to_a_contact_come_from_the_sparse_index(
    tables: tuple[Any, dict[str, str]],
) -> None:
    client, names = tables
    repo = DynamoCustomerLinkRepository(client, names["MappingsTable"])
    repo.save(CustomerLink(reseller_id="r1", customer_id="c1", xero_contact_id="x1"))
    repo.save(CustomerLink(reseller_id="r1", customer_id="c2", xero_contact_id="x1"))
    repo.save(CustomerLink(reseller_id="r1", customer_id="c3"))
    repo.save(CustomerLink(reseller_id="r2", customer_id="c4", xero_contact_id="x1"))
    assert repo.customers_linked_to("r1", "x1") == ["c1", "c2"]
    repo.save(CustomerLink(reseller_id="r1", customer_id="c2"))  # unmapped: out of the index
    assert repo.customers_linked_to("r1", "x1") == ["c1"]
    assert repo.customers_linked_to("r2", "x1") == ["c4"]


def test_product_mappings_by_item_and_in_bulk(tables: tuple[Any, dict[str, str]]) -> None:
    client, names = tables
    repo = DynamoProductMappingRepository(client, names["MappingsTable"])
    for n in range(120):
        repo.save(
            ProductMapping(
                reseller_id="r1", mpn=f"P{n:03d}", product_name=f"P{n}", xero_item_code="I"
            )
        )
    found = repo.get_many("r1", [f"P{n:03d}" for n in range(130)])
    assert len(found) == 120
    assert len(repo.products_for_item("r1", "I")) == 120
    assert repo.products_for_item("r2", "I") == []


def test_action_log_newest_first(tables: tuple[Any, dict[str, str]]) -> None:
    client, names = tables
    log = DynamoLogRecords(client, names["ActionLogTable"])
    for minutes in range(3):
        log.add(
            ActionLogEntry(
                reseller_id="r1",
                at=NOW + timedelta(minutes=minutes),
                action="a",
                status=LogStatus.INFO,
                message=f"m{minutes}",
            )
        )
    assert [e.message for e in log.for_reseller("r1", limit=2)] == ["m2", "m1"]


def test_kms_seals_tokens_for_one_reseller_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import ClientError

    from cbxero.adapters.kms import KmsTokenCipher

    monkeypatch.delenv("AWS_ENDPOINT_URL_KMS", raising=False)
    with mock_aws():
        kms = boto3.client("kms", region_name="us-east-1")
        cipher = KmsTokenCipher(kms, kms.create_key()["KeyMetadata"]["KeyId"])
        sealed = cipher.seal("r1", b'{"refresh_token": "secret-value"}')
        assert b"secret-value" not in sealed
        assert cipher.open("r1", sealed) == b'{"refresh_token": "secret-value"}'
        with pytest.raises(ClientError):
            cipher.open("r2", sealed)  # another reseller's context does not open it


def test_the_governor_writes_xeros_count_only_when_it_is_higher(
    tables: tuple[Any, dict[str, str]],
) -> None:
    from cbxero.adapters.governor import DynamoRateGovernor
    from tests.fakes import FixedClock

    client, names = tables
    writes: list[str] = []
    client.meta.events.register(
        "before-call.dynamodb.UpdateItem", lambda **_: writes.append("update")
    )
    clock = FixedClock()
    governor = DynamoRateGovernor(
        client, names["RateLimitsTable"], clock=clock, sleep=lambda s: clock.advance(seconds=s)
    )
    governor.release(governor.acquire("org"))
    counted = len(writes)  # the minute and the day
    governor.observe("org", {"X-MinLimit-Remaining": "59", "X-DayLimit-Remaining": "4999"})
    assert len(writes) == counted  # Xero counts what we counted: nothing to write
    governor.observe("org", {"X-MinLimit-Remaining": "40", "X-DayLimit-Remaining": "4999"})
    assert len(writes) == counted + 1  # Xero saw 20 this minute: we catch up
    minute = client.get_item(
        TableName=names["RateLimitsTable"],
        Key={"pk": {"S": "ORG#org"}, "sk": {"S": "MINUTE#202611251200"}},
    )["Item"]
    assert minute["calls"] == {"N": "20"}
