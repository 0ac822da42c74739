"""Least privilege, from the other side: every DynamoDB and KMS call each function makes while
the product is driven through its paths on the local stack must be allowed by that function's
statements in template.yaml (actions, tables and indexes, leading keys, encryption context).
With tests/unit/test_template.py (no more than these actions), each role is what it uses."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from fnmatch import fnmatch
from typing import Any

from cbxero.domain.xero_events import EventCategory, EventType, XeroEvent
from local.invoke import AwsCall
from local.stack import DEMO_RESELLER, LocalStack


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _matches(resource: Any, table: str, index: bool) -> bool:
    wanted = {"Fn::Sub": f"${{{table}.Arn}}/index/*"} if index else {"Fn::GetAtt": f"{table}.Arn"}
    return bool(resource == wanted)


def _conditions_hold(condition: dict[str, Any], call: AwsCall, table: str) -> bool:
    context = dict(call.context)
    for operator, tests in condition.items():
        for key, wanted in tests.items():
            if operator == "ForAllValues:StringLike" and key == "dynamodb:LeadingKeys":
                if not all(any(fnmatch(k, p) for p in wanted) for k in call.partition_keys):
                    return False
            elif operator == "ForAllValues:StringEquals" and key == "kms:EncryptionContextKeys":
                if not set(context) <= set(wanted):
                    return False
            elif operator == "StringEquals" and key.startswith("kms:EncryptionContext:"):
                if context.get(key.removeprefix("kms:EncryptionContext:")) != wanted:
                    return False
            elif operator == "StringEquals" and key == "kms:ViaService":
                return False  # a direct call from the function, not DynamoDB's on its behalf
            else:
                raise AssertionError(f"no evaluation for condition {operator} {key} on {table}")
    return True


# Functions that touch no table and no token key (their calls are checked one by one below).
NO_TABLE = {"XeroWebhookFunction"}


def allowed(stack: LocalStack, call: AwsCall) -> bool:
    names = {name: logical for logical, name in stack.tables.items()}
    table = "TokenKey" if call.action.startswith("kms:") else names[call.resource]
    policies = stack.template.resources[call.function]["Properties"]["Policies"]
    for policy in policies:
        for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
            if call.action not in _as_list(statement["Action"]):
                continue
            resources = _as_list(statement["Resource"])
            if table == "TokenKey":
                if {"Fn::GetAtt": "TokenKey.Arn"} not in resources:
                    continue
            elif not any(_matches(r, table, call.index) for r in resources):
                continue
            if _conditions_hold(statement.get("Condition", {}), call, table):
                return True
    return False


def voided_event(stack: LocalStack, invoice_id: str) -> XeroEvent:
    return XeroEvent(
        resource_url=f"https://api.xero.com/api.xro/2.0/Invoices/{invoice_id}",
        resource_id=invoice_id,
        event_date_utc=datetime.now(UTC),
        event_type=EventType.UPDATE,
        event_category=EventCategory.INVOICE,
        tenant_id=stack.xero.organisation().tenant_id,
        tenant_type="ORGANISATION",
    )


def test_every_call_the_functions_make_is_granted_by_the_template(stack: LocalStack) -> None:
    customer = stack.seed_demo_reseller(DEMO_RESELLER, {"auto_sync": "every_5_minutes"})
    order = stack.marketplace.add_order(customer["id"], [("MS-TEAMS-ESS", 2, "4.00")])
    # A second customer whose own ContactNumber is already in Xero: matched, after asking which
    # customer holds that contact (the links' index by Xero contact).
    second = stack.marketplace.add_customer("Second Co", reseller_id=DEMO_RESELLER)
    numbered = {"ContactID": "c-second", "Name": "Second Co", "ContactNumber": second["id"]}
    stack.xero.organisation().contacts["c-second"] = {**numbered, "ContactStatus": "ACTIVE"}
    stack.api("PUT", f"/customers/{second['id']}", json={"auto_sync": True}).raise_for_status()
    stack.marketplace.add_order(second["id"], [("MS-TEAMS-ESS", 1, "4.00")])
    stack.fire_schedule("every_5_minutes")
    stack.drain_queue()
    # What Xero changed comes back: an event through the events queue, and the poll.
    invoice = next(iter(stack.xero.organisation().invoices.values()))
    invoice.update(Status="VOIDED", UpdatedDateUTC=f"/Date({int(time.time() * 1000)}+0000)/")
    stack.send_xero_events([voided_event(stack, invoice["InvoiceID"])])
    assert stack.drain_events() == 1
    assert stack.poll_xero()["failed_tenants"] == {}
    for path in (
        "/tasks",
        f"/tasks/{order['id']}",
        "/xero/accounts",
        "/customers",
        "/products",
        "/fees",
        "/action-log",
        "/notifications",
        "/xero/connection",
    ):
        assert stack.api("GET", path).status_code == 200, path
    # The drift report, by hand and by its schedule; the dashboard; a bulk action.
    window = {"from": "2026-01-01T00:00:00Z", "to": "2026-12-31T00:00:00Z"}
    assert stack.api("GET", "/reconcile", params=window).status_code == 200
    assert stack.api("GET", "/dashboard").status_code == 200
    bulk = {"action": "retry", "filter": {}, "limit": 10}
    assert stack.api("POST", "/tasks/bulk", json=bulk).status_code == 200
    assert stack.invoker.invoke("DriftFunction", {"run": "drift"})["checked"] == 1
    assert stack.api("DELETE", "/products/AZ-PLAN").status_code < 300
    stack.api("POST", f"/customers/{customer['id']}/sync").raise_for_status()
    stack.drain_queue()
    stack.api("POST", "/notifications/read-all").raise_for_status()
    # Xero refuses the organisation (disconnected inside Xero): the worker marks the connection.
    stack.xero.disconnect_in_xero(stack.xero.organisation().tenant_id)
    stack.marketplace.add_order(customer["id"], [("MS-TEAMS-ESS", 1, "4.00")])
    stack.api("POST", f"/customers/{customer['id']}/sync").raise_for_status()
    stack.drain_queue()
    assert stack.api("GET", "/xero/connection").json()["status"] == "reconnect_needed"
    stack.api("DELETE", "/xero/connection").raise_for_status()
    stack.connect_xero()
    assert stack.invoker.invoke("OAuthFunction", {"sweep": "abandoned_consents"}) == {"released": 0}

    calls = [c for c in stack.invoker.calls if c.action.split(":")[0] in ("dynamodb", "kms")]
    assert {c.function for c in calls} == set(stack.template.functions()) - NO_TABLE
    refused = sorted(
        {
            f"{c.function} {c.action} {c.resource} {c.partition_keys}"
            for c in calls
            if not allowed(stack, c)
        }
    )
    assert refused == []


def test_the_webhook_function_reads_only_its_key_and_sends_only_to_the_events_queue(
    stack: LocalStack,
) -> None:
    assert stack.xero.webhooks.intent_to_receive().passed
    stack.xero.by_hand.archive_contact(_a_contact(stack))
    assert stack.deliver_webhooks().delivered == 1
    calls = {
        (c.action, c.resource) for c in stack.invoker.calls if c.function == "XeroWebhookFunction"
    }
    secret = f"{stack.prefix}-xero-webhook"
    assert calls == {
        ("secretsmanager:GetSecretValue", secret),
        ("sqs:SendMessage", stack.events_queue_url),
    }
    # ...which the template grants: the key's secret and the events queue, nothing else.
    policies = stack.template.resources["XeroWebhookFunction"]["Properties"]["Policies"]
    assert {"AWSSecretsManagerGetSecretValuePolicy": {"SecretArn": {"Ref": "XeroWebhookKey"}}} in (
        policies
    )
    statements = [s for p in policies if isinstance(p, dict) for s in p.get("Statement", [])]
    assert [(s["Action"], s["Resource"]) for s in statements] == [
        (["sqs:SendMessage"], [{"Fn::GetAtt": "XeroEventsQueue.Arn"}])
    ]


def _a_contact(stack: LocalStack) -> str:
    org = stack.xero.organisation()
    contact = {"ContactID": "c-hooked", "Name": "Hooked", "ContactStatus": "ACTIVE"}
    org.contacts["c-hooked"] = contact
    return "c-hooked"
