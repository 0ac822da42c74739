"""Tenant isolation, route by route: another reseller's token against reseller A's customer,
mapping, task, Action Log entry and Xero connection. Nothing of A's comes back, nothing of A's
changes, and a refused request writes nothing at all (checked on DynamoDB Local)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from local import template as cfn
from local.stack import DEMO_RESELLER, LocalStack

INTRUDER = "reseller-intruder"
BODIES: dict[str, Any] = {
    "PUT /xero/connection/tenant": {"tenant_id": "any"},
    "POST /xero/connection/complete": {"flow": "guessed", "verifier": "guessed"},
    "PUT /settings": {"trim_descriptions": True},
    "PATCH /settings": {"price_source": "xero"},
    "PUT /customers/{customerId}": {"auto_sync": True, "xero_contact_id": "c-a"},
    "PUT /products/{mpn}": {"xero_item_code": "MS-TEAMS-ESS"},
    "PUT /customers/auto-sync": {"customer_ids": ["{customerId}"], "auto_sync": False},
    "PUT /fees/cancellation": {"xero_item_code": "AZ-PLAN"},
    "POST /tasks/check-changes": {"customer_id": "{customerId}"},
    "POST /tasks/sync": {"task_ids": ["{taskId}"]},
    "POST /tasks/{taskId}/sync": {"edits": []},
    "POST /tasks/{taskId}/ignore": {"reason": "not mine"},
    "POST /tasks/bulk": {
        "action": "ignore",
        "filter": {"customer_id": "{customerId}"},
        "reason": "not mine",
    },
    "POST /reconcile/repairs": {
        "from": "2026-01-01T00:00:00Z",
        "to": "2026-12-31T00:00:00Z",
        "key": "order_without_task:{taskId}",
        "action": "create_task",
    },
    # The intruder's own history start: re-reads the intruder's customers, never A's.
    "POST /history": {"from": (datetime.now(UTC) - timedelta(days=60)).date().isoformat()},
}


def snapshot(stack: LocalStack) -> dict[str, list[str]]:
    """Every item of every table, as sorted JSON lines (rate limits left out: they count calls
    to Xero by organisation, not data)."""
    client = boto3.client("dynamodb")
    tables: dict[str, list[str]] = {}
    for logical_id, name in stack.tables.items():
        if logical_id == "RateLimitsTable":
            continue
        items = client.scan(TableName=name, ConsistentRead=True).get("Items", [])
        tables[logical_id] = sorted(
            json.dumps(item, sort_keys=True, default=lambda raw: bytes(raw).hex()) for item in items
        )
    return tables


def filled(body: Any, ids: dict[str, str]) -> Any:
    """A request body with A's ids where it names {customerId} or {taskId}."""
    text = json.dumps(body)
    for name, value in ids.items():
        text = text.replace("{" + name + "}", value)
    return json.loads(text)


def of_reseller(tables: dict[str, list[str]], reseller: str) -> dict[str, list[str]]:
    return {name: [row for row in rows if reseller in row] for name, rows in tables.items()}


def test_another_resellers_token_reaches_nothing_of_a(stack: LocalStack) -> None:
    customer = stack.seed_demo_reseller(DEMO_RESELLER, {"auto_sync": "every_5_minutes"})
    stack.xero.organisation().contacts["c-a"] = {"ContactID": "c-a", "Name": "A's contact"}
    order = stack.marketplace.add_order(customer["id"], [("MS-TEAMS-ESS", 3, "4.00")])
    stack.fire_schedule("every_5_minutes")
    stack.drain_queue()
    (invoice,) = stack.xero.organisation().invoices.values()
    entry = stack.api("GET", "/action-log").json()["items"][0]
    ids = {
        "customerId": customer["id"],
        "taskId": order["id"],
        "mpn": "MS-TEAMS-ESS",
        "entryId": entry["entry_id"],
    }
    # What only A may see: none of it may appear in any answer to the intruder.
    secrets = [
        customer["name"],
        invoice["InvoiceID"],
        order["orderNumber"],
        entry["message"],
        stack.xero.organisation().name,
        str(stack.xero.organisation().tenant_id),
    ]
    before = snapshot(stack)
    refused = succeeded = 0
    for route in cfn.load().routes():
        if not route.authorized:
            continue
        key = f"{route.method} {route.path}"
        path = route.path.format(**ids)
        body = filled(BODIES.get(key, {}), ids)
        tables_before = snapshot(stack)
        answer = stack.api(route.method, path, INTRUDER, json=body)
        assert answer.status_code < 500, (key, answer.status_code, answer.text)
        leaked = [secret for secret in secrets if secret in answer.text]
        assert leaked == [], (key, leaked)
        if answer.status_code >= 400:
            refused += 1
            assert snapshot(stack) == tables_before, f"{key} was refused but wrote"
        else:
            succeeded += 1
        stack.drain_queue()  # a queued job of the intruder's runs, and must not touch A either
    after = snapshot(stack)
    assert of_reseller(after, DEMO_RESELLER) == of_reseller(before, DEMO_RESELLER)
    assert len(stack.xero.organisation().invoices) == 1
    # The routes that name A's things were all refused; lists and the intruder's own
    # settings answered, empty of A.
    assert refused >= 20 and succeeded >= 8, (refused, succeeded)
