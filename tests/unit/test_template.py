"""template.yaml against the code: key schemas, least privilege, runtimes, routes."""

from __future__ import annotations

from typing import Any

import pytest

from cbxero import keys
from cbxero.adapters.kms import PURPOSE
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
    assert may_read == (
        function
        in {"OAuthFunction", "WorkerFunction", "SettingsFunction", *EVENTS, "DriftFunction"}
    )


def test_functions_run_python_313_with_the_shared_layer() -> None:
    function_globals = TEMPLATE.body["Globals"]["Function"]
    assert function_globals["Runtime"] == "python3.13"
    assert function_globals["Layers"] == [{"Ref": "SharedLayer"}]
    layer = TEMPLATE.resources["SharedLayer"]
    assert layer["Metadata"]["BuildMethod"] == "python3.13"


def test_routes_are_explicit_and_only_the_callback_openapi_and_webhooks_are_public() -> None:
    routes = TEMPLATE.routes()
    assert all("proxy+" not in r.path and r.path != "/{proxy+}" for r in routes)
    public = {r.path for r in routes if not r.authorized}
    assert public == {"/xero/callback", "/openapi.json", "/xero/webhooks"}
    # Xero's deliveries reach their own function only: the signature is their credential.
    (webhooks,) = [r for r in routes if r.path == "/xero/webhooks"]
    assert (webhooks.method, webhooks.function) == ("POST", "XeroWebhookFunction")


def test_the_webhook_function_reads_only_its_key_and_sends_only_to_the_events_queue() -> None:
    policies = TEMPLATE.resources["XeroWebhookFunction"]["Properties"]["Policies"]
    assert policies == [
        {"AWSSecretsManagerGetSecretValuePolicy": {"SecretArn": {"Ref": "XeroWebhookKey"}}},
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["sqs:SendMessage"],
                    "Resource": [{"Fn::GetAtt": "XeroEventsQueue.Arn"}],
                }
            ]
        },
    ]


def test_no_policy_grants_everything() -> None:
    for function in TEMPLATE.functions():
        policies = TEMPLATE.resources[function]["Properties"]["Policies"]
        for policy in policies:
            for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
                assert statement["Resource"] != "*"


# What each function does with each table: exactly these actions, nothing more (a table-wide
# "CRUD" policy would let the internet-facing Settings function scan every reseller's tokens).
# Reads Xero's side back (webhook events, polls): calls Xero, so it uses connections' tokens.
EVENTS = {"XeroEventsFunction"}
TABLE_ACTIONS: dict[str, dict[str, set[str]]] = {
    "OAuthFunction": {
        # Query: consents nobody finished, by expiry, for the sweep that revokes them.
        "TokensTable": {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query"},
        "ActionLogTable": {"PutItem"},
        "ResellersTable": {"UpdateItem"},  # the connection status mirror
        "MappingsTable": {"GetItem", "PutItem", "DeleteItem", "Query"},  # organisation switch
    },
    "SettingsFunction": {
        "TokensTable": {"GetItem", "PutItem", "UpdateItem"},  # a connection's token refresh
        "RateLimitsTable": {"GetItem", "PutItem", "UpdateItem", "DeleteItem"},
        "ResellersTable": {"GetItem", "UpdateItem"},
        "MappingsTable": {"GetItem", "BatchGetItem", "PutItem", "DeleteItem", "Query"},
        "TasksTable": {"GetItem", "PutItem", "Query"},
        "ActionLogTable": {"PutItem", "Query"},
    },
    "DispatcherFunction": {
        "ResellersTable": {"Query"},
        "MappingsTable": {"Query"},
        "TasksTable": {"Query"},
    },
    "DriftFunction": {
        "TokensTable": {"GetItem", "PutItem", "UpdateItem"},
        "RateLimitsTable": {"GetItem", "PutItem", "UpdateItem", "DeleteItem"},
        "ResellersTable": {"GetItem", "UpdateItem", "Query"},
        "MappingsTable": {"GetItem", "PutItem", "Query"},
        "TasksTable": {"GetItem"},
        "ActionLogTable": {"PutItem"},
    },
    "WorkerFunction": {
        "TokensTable": {"GetItem", "PutItem", "UpdateItem"},
        "RateLimitsTable": {"GetItem", "PutItem", "UpdateItem", "DeleteItem"},
        "ResellersTable": {"GetItem", "UpdateItem"},
        "MappingsTable": {"GetItem", "BatchGetItem", "PutItem", "Query"},
        "TasksTable": {"GetItem", "PutItem", "Query"},
        "ActionLogTable": {"PutItem"},
    },
    "XeroEventsFunction": {
        "TokensTable": {"GetItem", "PutItem", "UpdateItem"},
        "RateLimitsTable": {"GetItem", "PutItem", "UpdateItem", "DeleteItem"},
        "ResellersTable": {"GetItem", "UpdateItem"},
        "MappingsTable": {"GetItem", "PutItem", "UpdateItem", "Query"},  # Query: indexes only
        "TasksTable": {"GetItem", "PutItem", "Query"},  # Query: indexes only
        "ActionLogTable": {"PutItem"},
    },
    "XeroWebhookFunction": {},  # no table: the key and the events queue only
}
# Only connection items (RESELLER#...) of the token table: never a flow's state or consent.
CONNECTIONS_ONLY = {"SettingsFunction", "WorkerFunction", *EVENTS, "DriftFunction"}


def statements(function: str) -> list[dict[str, Any]]:
    policies = TEMPLATE.resources[function]["Properties"]["Policies"]
    found = []
    for policy in policies:
        if isinstance(policy, dict) and "Statement" in policy:
            found += policy["Statement"]
        elif isinstance(policy, dict):
            (name,) = policy
            # DynamoDB access only through explicit statements, never SAM's table-wide templates.
            assert not name.startswith("DynamoDB"), f"{function} uses {name}"
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def granted_tables(function: str) -> dict[str, set[str]]:
    granted: dict[str, set[str]] = {}
    for statement in statements(function):
        actions = [a for a in _as_list(statement["Action"]) if a.startswith("dynamodb:")]
        for resource in _as_list(statement["Resource"]):
            if "Fn::GetAtt" in resource:
                table = resource["Fn::GetAtt"].split(".")[0]
            else:  # an index: !Sub "${Table.Arn}/index/*"
                table = resource["Fn::Sub"].removeprefix("${").split(".")[0]
            granted.setdefault(table, set()).update(a.removeprefix("dynamodb:") for a in actions)
    return {table: actions for table, actions in granted.items() if actions}


@pytest.mark.parametrize("function", TEMPLATE.functions())
def test_each_function_has_exactly_the_table_actions_it_uses(function: str) -> None:
    assert granted_tables(function) == TABLE_ACTIONS[function]


@pytest.mark.parametrize("function", sorted(CONNECTIONS_ONLY))
def test_settings_and_worker_reach_only_connection_items_of_the_token_table(
    function: str,
) -> None:
    for statement in statements(function):
        if any(r == {"Fn::GetAtt": "TokensTable.Arn"} for r in _as_list(statement["Resource"])):
            leading = statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
            assert leading == ["RESELLER#*"]


@pytest.mark.parametrize("function", TEMPLATE.functions())
def test_the_token_key_is_used_only_under_an_encryption_context(function: str) -> None:
    kms = [s for s in statements(function) if any(a.startswith("kms:") for a in s["Action"])]
    may_seal = function in {
        "OAuthFunction",
        "WorkerFunction",
        "SettingsFunction",
        *EVENTS,
        "DriftFunction",
    }
    assert bool(kms) == may_seal
    for statement in kms:
        assert statement["Resource"] == {"Fn::GetAtt": "TokenKey.Arn"}
        assert set(statement["Action"]) <= {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"}
        equals = statement["Condition"]["StringEquals"]
        context = {k for k in equals if k.startswith("kms:EncryptionContext:")}
        assert context, statement
    sealing = [s for s in kms if "kms:EncryptionContext:purpose" in s["Condition"]["StringEquals"]]
    if may_seal:
        (seal,) = sealing
        assert seal["Condition"]["StringEquals"]["kms:EncryptionContext:purpose"] == PURPOSE
        keys_allowed = seal["Condition"]["ForAllValues:StringEquals"]["kms:EncryptionContextKeys"]
        assert sorted(keys_allowed) == ["purpose", "reseller_id"]


def test_xero_is_asked_only_for_the_scopes_the_code_uses() -> None:
    # Invoices, credit notes and allocations; payments (when the reseller pushes them);
    # contacts; items, accounts, tax rates and the organisation; and a refresh token. Nothing
    # reads the user's identity (openid, profile, email).
    scopes = TEMPLATE.body["Parameters"]["XeroScopes"]["Default"].split()
    assert sorted(scopes) == sorted(
        [
            "offline_access",
            "accounting.invoices",
            "accounting.payments",
            "accounting.contacts",
            "accounting.settings",
        ]
    )
