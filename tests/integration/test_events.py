"""Every events/ file runs through its function of template.yaml, in process, on the local stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cbxero.services.xero_webhook import signature_of
from local.invoke import function_for_event
from local.stack import LocalStack

EVENTS = sorted((Path(__file__).resolve().parents[2] / "events").glob("*.json"))


def test_there_are_events_for_every_function() -> None:
    from local import template as cfn

    assert {function_for_event(path) for path in EVENTS} == set(cfn.load().functions())


@pytest.mark.parametrize("path", EVENTS, ids=[p.stem for p in EVENTS])
def test_event_invokes_its_function(stack: LocalStack, path: Path) -> None:
    customer = stack.seed_demo_reseller()
    stack.marketplace.add_order(customer["id"], [("MS-TEAMS-ESS", 2, "4.00")])
    function = function_for_event(path)
    event = json.loads(path.read_text())
    result = stack.invoker.invoke(function, event)
    if function == "XeroWebhookFunction":  # signed with a key this stack does not have
        assert (result["statusCode"], result["body"]) == (401, "")
        body = event["body"].encode()
        event["headers"]["x-xero-signature"] = signature_of(stack.webhook_key.encode(), body)
        assert stack.invoker.invoke(function, event)["statusCode"] == 200
    elif "statusCode" in result:
        assert result["statusCode"] < 400, result.get("body")
    elif path.stem == "worker-unreadable-job":  # logged and dropped, not redelivered
        assert result == {"batchItemFailures": []}
        (entry,) = stack.api("GET", "/action-log").json()["items"][:1]
        assert "could not be read" in entry["message"]
    elif function == "WorkerFunction":
        assert result == {"batchItemFailures": []}
        invoices = stack.xero.organisation().invoices.values()
        assert [i["Reference"] for i in invoices] == ["SO000003"]
    elif function == "XeroEventsFunction":  # an organisation not connected here; or the poll
        assert result.get("batchItemFailures") == [] or result["failed_tenants"] == {}
    elif function == "OAuthFunction":  # the schedule's sweep of consents nobody finished
        assert result == {"released": 0}
    elif function == "DriftFunction":  # the seeded reseller's daily drift report
        assert result["checked"] == 1 and result["failed"] == 0
    else:
        assert result["resellers"] >= 0
