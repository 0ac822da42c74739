"""History through the API on the local stack: the start date chosen by hand (bounds, hostile
dates), re-reading from an earlier start without making a task twice, every active
subscription's open billing, and the back-fill's progress with its estimate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from local.stack import LOCAL_STORE_PAGE, LocalStack


def test_history_defaults_to_one_month_and_shows_the_budget(stack: LocalStack) -> None:
    stack.seed_demo_reseller(settings={"auto_sync": "off"})
    view = stack.api("GET", "/history").json()
    start = datetime.fromisoformat(view["start"])
    assert view["chosen"] is False
    assert timedelta(days=29) < datetime.now(UTC) - start < timedelta(days=31)
    assert view["done"] == view["waiting"] == 0
    assert view["budget"]["limit"] == 5000 and view["budget"]["left"] <= 5000
    assert view["estimate"]["calls"] == 0 and view["estimate"]["fits_today"] is True


def test_an_earlier_start_rereads_from_there_and_makes_nothing_twice(stack: LocalStack) -> None:
    customer = stack.seed_demo_reseller(settings={"auto_sync": "off"})
    now = datetime.now(UTC)
    placed = {
        days: stack.marketplace.add_order(
            customer["id"], [("MS-TEAMS-ESS", 1, "4.00")], created=now - timedelta(days=days)
        )
        for days in (5, 60, 200, 800)
    }
    stack.api("POST", "/tasks/check-changes", json={"customer_id": customer["id"]})
    stack.drain_queue()
    tasks = {t["order_id"] for t in stack.api("GET", "/tasks").json()["items"]}
    assert tasks == {placed[5]["id"]}

    chosen = stack.api(
        "POST", "/history", json={"from": (now - timedelta(days=365)).date().isoformat()}
    )
    assert chosen.status_code == 200, chosen.text
    body = chosen.json()
    assert body["chosen"] is True and body["customers_reread"] == 1 and body["jobs_queued"] >= 1
    stack.drain_queue()
    tasks_after = [
        t["order_id"] for t in stack.api("GET", "/tasks", params={"limit": 200}).json()["items"]
    ]
    assert sorted(tasks_after) == sorted(placed[d]["id"] for d in (5, 60, 200))  # once each
    view = stack.api("GET", "/history").json()
    # The customer has auto-sync on: its look also processed the back-fill.
    assert view["done"] == 3 and view["waiting"] == 0 and view["by_status"]["synced"] == 3
    assert view["estimate"]["calls"] == 0 and view["chosen_by"]
    assert view["budget"]["used"] >= 1

    # A later start changes nothing already made; choosing the same start again neither.
    later = stack.api(
        "POST", "/history", json={"from": (now - timedelta(days=10)).date().isoformat()}
    )
    assert later.status_code == 200 and later.json()["customers_reread"] == 0
    stack.drain_queue()
    assert stack.api("GET", "/history").json()["done"] == 3
    assert len(stack.xero.organisation().invoices) == 3
    log = stack.api("GET", "/action-log", params={"action": "history_start"}).json()["items"]
    assert len(log) == 2


def test_active_subscriptions_open_billing_becomes_tasks(stack: LocalStack) -> None:
    customer = stack.seed_demo_reseller(settings={"auto_sync": "off"})
    now = datetime.now(UTC)
    active = stack.marketplace.add_subscription(customer["id"], "MS-TEAMS-ESS")
    ended = stack.marketplace.add_subscription(customer["id"], "MS-TEAMS-ESS", status="terminated")
    for sub, days in ((active, 400), (active, 100), (ended, 90)):
        stack.marketplace.add_order(
            customer["id"],
            [("MS-TEAMS-ESS", 2, "4.00")],
            order_type="renewal",
            created=now - timedelta(days=days),
            subscription_id=sub["id"],
        )
    renewal = max(
        (o for o in stack.marketplace.orders.values() if o.get("subscriptionId") == active["id"]),
        key=lambda o: o["creationDate"],
    )
    stack.api("POST", "/tasks/check-changes", json={"customer_id": customer["id"]})
    stack.drain_queue()
    tasks = [t["order_id"] for t in stack.api("GET", "/tasks").json()["items"]]
    assert tasks == [renewal["id"]]


@pytest.mark.parametrize(
    "start",
    [
        "0001-01-01",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31",
        "9999-12-31T23:59:59Z",
        "2100-01-01T00:00:00Z",
        (datetime.now(UTC) + timedelta(days=1)).date().isoformat(),
        (datetime.now(UTC) - timedelta(days=800)).date().isoformat(),
        "2026-01-31T09:00:00",
        "not a date",
        "2026-13-01",
        "",
        "x" * 41,
        17,
        None,
        ["2026-01-01"],
    ],
)
def test_hostile_starts_are_refused_naming_the_field(stack: LocalStack, start: object) -> None:
    stack.connect_xero()
    answer = stack.api("POST", "/history", json={"from": start})
    assert 400 <= answer.status_code < 500, answer.text
    fields = [f["field"] for f in answer.json().get("fields", [])]
    assert any("from" in field for field in fields), answer.json()
    assert stack.api("GET", "/history").json()["chosen"] is False  # nothing written


def test_an_unknown_field_or_no_body_is_refused(stack: LocalStack) -> None:
    stack.connect_xero()
    assert stack.api("POST", "/history", json={"from": "2026-01-01", "to": "x"}).status_code == 422
    assert stack.api("POST", "/history").status_code in (400, 422)


def test_the_start_chosen_when_connecting_is_kept_and_a_reconnect_keeps_it(
    stack: LocalStack,
) -> None:
    chosen = (datetime.now(UTC) - timedelta(days=180)).date().isoformat()
    stack.connect_xero(history_from=chosen)
    view = stack.api("GET", "/history").json()
    assert view["chosen"] is True and view["start"].startswith(chosen)
    # Connecting again with another start keeps the first choice (POST /history moves it).
    stack.connect_xero(history_from=(datetime.now(UTC) - timedelta(days=5)).date().isoformat())
    assert stack.api("GET", "/history").json()["start"].startswith(chosen)


@pytest.mark.parametrize(
    "start", ["0001-01-01", "9999-12-31", "2026-01-31T09:00:00", "not a date", "x" * 41]
)
def test_a_hostile_start_on_connecting_is_refused_before_xero(
    stack: LocalStack, start: str
) -> None:
    answer = stack.api(
        "GET",
        "/xero/connect",
        params={"return_url": LOCAL_STORE_PAGE, "history_from": start},
    )
    assert 400 <= answer.status_code < 500, answer.text
    fields = [f["field"] for f in answer.json().get("fields", [])]
    assert any("history_from" in field for field in fields), answer.json()
