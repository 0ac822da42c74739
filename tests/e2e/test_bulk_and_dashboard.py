"""Bulk actions by filter and the dashboard, through the API on the local stack."""

from __future__ import annotations

from typing import Any

from local.stack import LocalStack


def a_reseller_with_tasks(stack: LocalStack, orders: int) -> tuple[dict[str, Any], list[Any]]:
    customer = stack.seed_demo_reseller(settings={"auto_sync": "off"})
    placed = [
        stack.marketplace.add_order(customer["id"], [("MS-TEAMS-ESS", n + 1, "4.00")])
        for n in range(orders)
    ]
    stack.api("POST", "/tasks/check-changes", json={"customer_id": customer["id"]})
    stack.drain_queue()
    return customer, placed


def bulk(stack: LocalStack, **body: Any) -> Any:
    return stack.api("POST", "/tasks/bulk", json=body)


def statuses(stack: LocalStack) -> dict[str, str]:
    items = stack.api("GET", "/tasks", params={"limit": 200}).json()["items"]
    return {t["order_id"]: t["status"] for t in items}


def test_bulk_ignore_unignore_and_sync_page_by_page(stack: LocalStack) -> None:
    _, placed = a_reseller_with_tasks(stack, 5)
    no_reason = bulk(stack, action="ignore", filter={"status": "new"})
    assert no_reason.status_code == 400 and no_reason.json()["fields"][0]["field"] == "reason"
    changed: list[str] = []
    cursor = None
    while True:  # two a call, continued with the cursor
        page = bulk(
            stack,
            action="ignore",
            filter={"status": "new"},
            reason="billed outside Xero",
            limit=2,
            **({"cursor": cursor} if cursor else {}),
        )
        assert page.status_code == 200, page.text
        changed += page.json()["changed_ids"]
        cursor = page.json()["next_cursor"]
        if not cursor:
            break
    assert sorted(changed) == sorted(o["id"] for o in placed)
    assert set(statuses(stack).values()) == {"ignored"}
    again = bulk(stack, action="ignore", filter={}, reason="again", limit=50).json()
    assert again["changed"] == 0 and {s["reason"] for s in again["skipped"]} == {"already ignored"}
    back = bulk(stack, action="unignore", filter={"status": "ignored"}, limit=50).json()
    assert back["changed"] == 5
    retry = bulk(stack, action="retry", filter={}, limit=50).json()  # new tasks do not retry
    assert retry["changed"] == 0 and len(retry["skipped"]) == 5
    synced = bulk(stack, action="sync", filter={"type": "sales"}, limit=50).json()
    assert synced["changed"] == 5
    stack.drain_queue()
    assert set(statuses(stack).values()) == {"synced"}
    log = stack.api("GET", "/action-log", params={"limit": 200}).json()["items"]
    assert len([e for e in log if e["action"].startswith("task_bulk_")]) == 5 * 3


def test_bulk_on_the_rows_selected(stack: LocalStack) -> None:
    """The Tasks screen's selected rows: only the named tasks change; one the reseller does not
    have is skipped, saying so (another reseller's task is not looked at)."""
    _, placed = a_reseller_with_tasks(stack, 3)
    first, second, third = (order["id"] for order in placed)
    named = {"task_ids": [first, second, "424242"], "status": "ignored"}  # the ids rule
    answer = bulk(stack, action="ignore", filter=named, reason="credited by hand")
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert sorted(result["changed_ids"]) == sorted([first, second])
    assert result["skipped"] == [{"task_id": "424242", "reason": "no such task"}]
    assert statuses(stack) == {first: "ignored", second: "ignored", third: "new"}
    theirs = stack.api(
        "POST",
        "/tasks/bulk",
        "reseller-intruder",
        json={"action": "unignore", "filter": {"task_ids": [first]}},
    ).json()
    assert theirs["changed"] == 0 and theirs["skipped"][0]["reason"] == "no such task"
    too_many = bulk(stack, action="retry", filter={"task_ids": [str(n) for n in range(201)]})
    assert too_many.status_code == 422


def test_bad_bulk_input_is_refused(stack: LocalStack) -> None:
    a_reseller_with_tasks(stack, 2)
    bad: list[tuple[dict[str, Any], int]] = [
        ({"action": "explode", "filter": {}}, 422),
        ({"action": "retry", "filter": {"status": "nope"}}, 422),
        ({"action": "retry", "filter": {"customer_id": "../etc"}}, 422),
        ({"action": "retry", "filter": {}, "limit": 0}, 422),
        ({"action": "retry", "filter": {}, "limit": 201}, 422),
        ({"action": "retry", "filter": {}, "cursor": "tampered"}, 400),
        (
            {
                "action": "retry",
                "filter": {"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
            },
            400,
        ),
        ({"action": "retry", "filter": {"from": "0001-01-01T00:00:00+01:00"}}, 400),
        ({"action": "retry", "filter": {"from": "9999-12-31T23:59:59Z"}, "extra": 1}, 422),
    ]
    for body, status in bad:
        answer = bulk(stack, **body)
        assert answer.status_code == status, (body, answer.text)
        assert answer.json()["code"] and "fields" in answer.json()
    # A cursor of one filter is no cursor for another, nor for another reseller.
    cursor = bulk(stack, action="retry", filter={}, limit=1).json()["next_cursor"]
    other = bulk(stack, action="retry", filter={"type": "sales"}, limit=1, cursor=cursor)
    assert other.status_code == 400 and other.json()["fields"][0]["field"] == "cursor"
    assert set(statuses(stack).values()) == {"new"}


def test_the_dashboard(stack: LocalStack) -> None:
    _, placed = a_reseller_with_tasks(stack, 3)
    bulk(stack, action="ignore", filter={}, reason="not ours", limit=1)
    board = stack.api("GET", "/dashboard")
    assert board.status_code == 200, board.text
    body = board.json()
    assert body["connection"]["status"] == "connected"
    assert body["connection"]["organisation"] == stack.xero.organisation().name
    assert (
        body["budget_today"]["limit"] == body["budget_today"]["used"] + body["budget_today"]["left"]
    )
    assert body["budget_today"]["used"] > 0
    assert body["tasks_by_status"]["new"] == 2 and body["tasks_by_status"]["ignored"] == 1
    assert body["tasks_by_type"] == {"sales": 3} and body["tasks_total"] == 3
    assert body["oldest_waiting"]["order_number"] in {o["orderNumber"] for o in placed}
    assert (body["auto_sync"], body["last_run"], body["next_run"]) == ("off", None, None)
    assert body["drift"] is None
    # The back-fill's progress, as GET /history has it: 1 done (ignored), 2 waiting, an estimate.
    backfill = body["history"]
    assert (backfill["done"], backfill["waiting"], backfill["chosen"]) == (1, 2, False)
    assert backfill["budget"] == body["budget_today"] and backfill["estimate"]["calls"] > 0
    alone = stack.api("GET", "/history").json()
    assert {k: alone[k] for k in ("done", "waiting", "by_status")} == {
        k: backfill[k] for k in ("done", "waiting", "by_status")
    }
    stack.api("PATCH", "/settings", json={"auto_sync": "daily"})
    daily = stack.api("GET", "/dashboard").json()
    assert daily["next_run"].endswith("T02:00:00Z")
