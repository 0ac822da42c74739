"""A disconnect made inside Xero (Connected Apps): the organisation's calls answer 403 while the
refresh token still works. It must read "reconnect needed" exactly like a revoked token: an
action-required entry, a notification, the dispatcher skipping the reseller, no order lost.
And organisations granted in a multi-organisation consent but not chosen are disconnected."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.stack import DEMO_RESELLER, LocalStack


def test_a_disconnect_in_xero_reads_reconnect_needed(stack: LocalStack) -> None:
    customer = stack.seed_demo_reseller(DEMO_RESELLER, {"auto_sync": "every_5_minutes"})
    tenant_id = stack.xero.organisation().tenant_id
    stack.xero.disconnect_in_xero(tenant_id)  # the user removed the app in Xero
    refreshes = stack.xero.refreshes
    order = stack.marketplace.add_order(customer["id"], [("MS-TEAMS-ESS", 2, "4.00")])

    stack.fire_schedule("every_5_minutes")
    stack.drain_queue()

    assert stack.api("GET", "/xero/connection").json()["status"] == "reconnect_needed"
    notes = stack.api("GET", "/notifications").json()["items"]
    assert [n["status"] for n in notes if n["action"] == "xero_connection"] == ["action_required"]
    assert any("reconnect Xero" in n["message"] for n in notes)
    assert any("disconnected in Xero" in n["message"] for n in notes)  # the reason, told
    task = stack.api("GET", f"/tasks/{order['id']}").json()["task"]
    assert task["status"] in {"new", "action_required", "failed"}  # waiting, not lost
    assert stack.xero.organisation().invoices == {}
    # The next schedule skips the reseller: no job, no call to Xero.
    calls = len(stack.xero.calls)
    assert stack.fire_schedule("every_5_minutes")["jobs"] == 0
    stack.drain_queue()
    assert len(stack.xero.calls) == calls
    assert stack.xero.refreshes == refreshes  # the token itself was never the problem


def test_the_live_status_notices_a_disconnect_in_xero_at_once(stack: LocalStack) -> None:
    stack.connect_xero()
    org = stack.xero.organisation()
    live = {"live": "true"}
    assert stack.api("GET", "/xero/connection", params=live).json()["status"] == "connected"
    stack.xero.disconnect_in_xero(org.tenant_id)
    assert stack.api("GET", "/xero/connection").json()["status"] == "connected"  # not asked
    assert stack.api("GET", "/xero/connection", params=live).json()["status"] == (
        "reconnect_needed"
    )
    notes = stack.api("GET", "/notifications").json()["items"]
    told = [n for n in notes if n["action"] == "xero_connection"]
    assert [n["status"] for n in told] == ["action_required"]
    assert "disconnected in Xero" in told[0]["message"] and org.name in told[0]["message"]


@pytest.fixture
def two_org_stack(dynamodb_local: str) -> Iterator[LocalStack]:
    with LocalStack(
        dynamodb_endpoint=dynamodb_local,
        quiet=True,
        auto_consent=False,
        organisations=["Demo Reseller Ltd", "Other Org Ltd"],
    ) as stack:
        yield stack


def test_organisations_granted_but_not_chosen_are_disconnected(two_org_stack: LocalStack) -> None:
    stack = two_org_stack
    landed = stack.connect_xero(tenants="all")
    assert "xero=choose_tenant" in landed or "xero=pending" in landed
    status = stack.api("GET", "/xero/connection").json()
    assert len(status["organisations_to_choose"]) == 2
    chosen = stack.xero.organisation("Other Org Ltd").tenant_id
    answer = stack.api("PUT", "/xero/connection/tenant", json={"tenant_id": chosen})
    assert answer.status_code == 200, answer.text
    with stack.xero.lock:
        still = {t for r in stack.xero.refresh_tokens.values() for t in r.grant.tenant_ids}
    assert still == {chosen}
