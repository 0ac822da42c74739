"""template.yaml against the code: key schemas, least privilege, runtimes, routes."""

from __future__ import annotations

from typing import Any

import pytest

from cbxero import keys
from local import template as cfn

TEMPLATE = cfn.load()
TABLES = TEMPLATE.of_type("AWS::DynamoDB::Table")


def key_schema(entries: list[dict[str, str]]) -> tuple[str, ...]:
    order = {"HASH": 0, "RANGE": 1}
    return tuple(e["AttributeName"] for e in sorted(entries, key=lambda e: order[e["KeyType"]]))


def test_every_table_of_the_code_is_in_the_template_with_pk_and_sk() -> None:
    assert set(TABLES) == {t.value for t in keys.Table}
    for table in keys.Table:
        assert key_schema(TABLES[table]["Properties"]["KeySchema"]) == (keys.PK, keys.SK)


def test_indexes_match_the_code() -> None:
    declared = {
        (table, index["IndexName"]): key_schema(index["KeySchema"])
        for table, resource in TABLES.items()
        for index in resource["Properties"].get("GlobalSecondaryIndexes", [])
    }
    expected = {(t.value, i.value): k for (t, i), k in keys.INDEX_KEYS.items()}
    assert declared == expected


def test_ttl_attribute_and_recovery() -> None:
    for name, resource in TABLES.items():
        props = resource["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        ttl = props.get("TimeToLiveSpecification")
        if name in {t.value for t in keys.TABLES_WITH_TTL}:
            assert ttl == {"AttributeName": keys.TTL_ATTRIBUTE, "Enabled": True}
        else:
            assert ttl is None


def test_token_table_is_encrypted_with_the_customer_managed_key() -> None:
    sse = TABLES["TokensTable"]["Properties"]["SSESpecification"]
    assert sse["SSEType"] == "KMS"
    assert sse["KMSMasterKeyId"] == {"Ref": "TokenKey"}


def _references(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {value["Ref"]} if "Ref" in value else set()
        return found.union(*(_references(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_references(v) for v in value))
    return set()


@pytest.mark.parametrize("function", TEMPLATE.functions())
def test_only_the_functions_that_call_xero_touch_the_token_table(function: str) -> None:
    policies = TEMPLATE.resources[function]["Properties"]["Policies"]
    may_read = "TokensTable" in _references(policies)
    # The dispatcher never calls Xero; it learns who must reconnect from the reseller's item.
    assert may_read == (function in {"OAuthFunction", "WorkerFunction", "SettingsFunction"})


def test_functions_run_python_313_with_the_shared_layer() -> None:
    function_globals = TEMPLATE.body["Globals"]["Function"]
    assert function_globals["Runtime"] == "python3.13"
    assert function_globals["Layers"] == [{"Ref": "SharedLayer"}]
    layer = TEMPLATE.resources["SharedLayer"]
    assert layer["Metadata"]["BuildMethod"] == "python3.13"


def test_routes_are_explicit_and_only_the_callback_and_openapi_are_public() -> None:
    routes = TEMPLATE.routes()
    assert all("proxy+" not in r.path and r.path != "/{proxy+}" for r in routes)
    public = {r.path for r in routes if not r.authorized}
    assert public == {"/xero/callback", "/openapi.json"}


def test_no_policy_grants_everything() -> None:
    for function in TEMPLATE.functions():
        policies = TEMPLATE.resources[function]["Properties"]["Policies"]
        for policy in policies:
            for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
                assert statement["Resource"] != "*"
