"""The store's task screen through the API on the local stack: list, inspect, check changes,
sync by hand with edited lines, ignore, un-ignore, retry."""

from __future__ import annotations

from typing import Any

from local.simpleapi_emulator import fee
from local.stack import LocalStack


def a_reseller_with_orders(stack: LocalStack, orders: int = 3) -> tuple[dict[str, Any], list[Any]]:
    customer = stack.seed_demo_reseller(settings={"auto_sync": "off"})
    placed = [
        stack.marketplace.add_order(customer["id"], [("MS-TEAMS-ESS", n + 1, "4.00")])
        for n in range(orders)
    ]
    answer = stack.api("POST", "/tasks/check-changes", json={"customer_id": customer["id"]})
    assert answer.json() == {"jobs_queued": 1}
    stack.drain_queue()
    return customer, placed


def test_check_changes_makes_tasks_without_syncing_them(stack: LocalStack) -> None:
    _, placed = a_reseller_with_orders(stack)
    page = stack.api("GET", "/tasks").json()
    assert sorted(t["order_id"] for t in page["items"]) == sorted(o["id"] for o in placed)
    assert {t["status"] for t in page["items"]} == {"new"}
    assert stack.xero.organisation().invoices == {}


def test_pages_and_filters(stack: LocalStack) -> None:
    customer, placed = a_reseller_with_orders(stack, orders=5)
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = stack.api("GET", "/tasks", params=params).json()
        seen += [t["order_id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(o["id"] for o in placed)  # every task once, none twice
    assert stack.api("GET", "/tasks", params={"status": "synced"}).json()["items"] == []
    assert len(stack.api("GET", "/tasks", params={"type": "sales"}).json()["items"]) == 5
    other = stack.api("GET", "/tasks", params={"customer_id": "nobody"}).json()
    assert other["items"] == []
    later = stack.api("GET", "/tasks", params={"from": "2100-01-01T00:00:00Z"}).json()
    assert later["items"] == []
    naive = stack.api("GET", "/tasks", params={"from": "2026-01-01T00:00:00"})
    assert naive.status_code == 400 and naive.json()["fields"][0]["field"] == "from"
    del customer


def test_a_cursor_from_another_reseller_is_refused(stack: LocalStack) -> None:
    a_reseller_with_orders(stack, orders=3)
    cursor = stack.api("GET", "/tasks", params={"limit": 1}).json()["next_cursor"]
    assert cursor
    answer = stack.api("GET", "/tasks", "reseller-intruder", params={"cursor": cursor})
    assert answer.status_code == 400
    assert answer.json()["fields"][0]["field"] == "cursor"
    garbage = stack.api("GET", "/tasks", params={"cursor": "not-a-cursor"})
    assert garbage.status_code == 400


def test_a_task_shows_the_lines_it_would_send(stack: LocalStack) -> None:
    _, placed = a_reseller_with_orders(stack, orders=1)
    detail = stack.api("GET", f"/tasks/{placed[0]['id']}").json()
    assert detail["task"]["order_number"] == placed[0]["orderNumber"]
    (line,) = detail["planned"]["invoice_lines"]
    assert (line["Description"], line["Quantity"], line["UnitAmount"], line["ItemCode"]) == (
        "Microsoft Teams Essentials - recurring fee",
        1.0,
        4.0,
        "MS-TEAMS-ESS",
    )
    assert detail["planned"]["expected_total"] == "4.00"
    assert detail["planned"]["invoice_line_indexes"] == [0]  # the index an edit names
    missing = stack.api("GET", "/tasks/999999")
    assert (missing.status_code, missing.json()["message"]) == (404, "no task 999999")
    # A person reaches for the order number first (Xero and the Action Log show it): the 404
    # once said only "no task SO000001". Said whatever exists, from the id's shape alone.
    by_number = stack.api("GET", f"/tasks/{placed[0]['orderNumber']}")
    assert by_number.status_code == 404
    assert f"such as {placed[0]['id']}" not in by_number.json()["message"]  # nothing looked up
    assert "the order's id (digits), not its number" in by_number.json()["message"]


def test_sync_by_hand_with_edited_lines(stack: LocalStack) -> None:
    _, placed = a_reseller_with_orders(stack, orders=2)
    first, second = placed
    edits = [{"index": 0, "description": "Teams, as agreed", "unit_amount": "3.5"}]
    answer = stack.api("POST", f"/tasks/{first['id']}/sync", json={"edits": edits})
    assert answer.status_code == 200, answer.text
    assert (
        stack.api("GET", f"/tasks/{first['id']}").json()["planned"]["invoice_lines"][0][
            "UnitAmount"
        ]
        == 3.5
    )
    many = stack.api("POST", "/tasks/sync", json={"task_ids": [second["id"]]})
    assert many.status_code == 200
    stack.drain_queue()
    invoices = {i["Reference"]: i for i in stack.xero.organisation().invoices.values()}
    edited = invoices[first["orderNumber"]]["LineItems"][0]
    assert (edited["Description"], edited["UnitAmount"]) == ("Teams, as agreed", 3.5)
    assert invoices[second["orderNumber"]]["SubTotal"] == 8.0
    statuses = {t["order_id"]: t["status"] for t in stack.api("GET", "/tasks").json()["items"]}
    assert statuses == {first["id"]: "synced", second["id"]: "synced"}
    log = stack.api("GET", "/action-log").json()["items"]
    assert any(e["action"] == "task_sync_requested" and e["actor"] for e in log)


def test_a_hand_sync_without_a_target_follows_the_invoice_target_setting(
    stack: LocalStack,
) -> None:
    customer = stack.seed_demo_reseller(settings={"auto_sync": "off", "invoice_target": "existing"})
    placed = [
        stack.marketplace.add_order(customer["id"], [("MS-TEAMS-ESS", n + 1, "4.00")])
        for n in range(4)
    ]
    stack.api("POST", "/tasks/check-changes", json={"customer_id": customer["id"]})
    stack.drain_queue()
    first, second, third, fourth = (order["id"] for order in placed)
    json_null = {"data": "null", "headers": {"Content-Type": "application/json"}}
    sends: list[tuple[str, dict[str, Any]]] = [
        (f"/tasks/{first}/sync", {"json": {}}),  # an empty body
        (f"/tasks/{second}/sync", {}),  # no body at all
        ("/tasks/sync", {"json": {"task_ids": [third]}}),
        (f"/tasks/{fourth}/sync", json_null),  # the document's body: SyncOneBody or null
    ]
    for path, body in sends:  # one at a time: each finds the invoice the one before made
        answer = stack.api("POST", path, **body)
        assert answer.status_code == 200, answer.text
        stack.drain_queue()
    (invoice,) = stack.xero.organisation().invoices.values()  # one invoice, as the setting says
    assert invoice["Reference"] == ", ".join(order["orderNumber"] for order in placed)
    stored = stack.api("GET", f"/tasks/{second}").json()["task"]
    assert (stored["status"], stored["target"]) == ("synced", None)  # None: the setting's
    chosen = stack.api("POST", f"/tasks/{first}/sync", json={"target": "new"})
    assert chosen.status_code == 409  # synced already; an explicit target is still accepted


def test_bad_hand_syncs_are_refused_and_change_nothing(stack: LocalStack) -> None:
    _, placed = a_reseller_with_orders(stack, orders=1)
    task = placed[0]["id"]
    given = stack.api("POST", f"/tasks/{task}/sync", json={"target": "given"})
    assert given.status_code == 400 and given.json()["fields"][0]["field"] == "invoice_id"
    bad_edit = stack.api("POST", f"/tasks/{task}/sync", json={"edits": [{"index": -1}]})
    assert bad_edit.status_code == 422
    stray = stack.api(
        "POST", "/tasks/sync", json={"task_ids": [task], "edits": {"other": [{"index": 0}]}}
    )
    assert stray.status_code == 400
    assert stack.api("GET", f"/tasks/{task}").json()["task"]["edits"] == []
    assert stack.drain_queue() == 0


def test_ignore_unignore_and_retry(stack: LocalStack) -> None:
    _, placed = a_reseller_with_orders(stack, orders=1)
    task = placed[0]["id"]
    assert stack.api("POST", f"/tasks/{task}/ignore", json={}).status_code == 422
    ignored = stack.api("POST", f"/tasks/{task}/ignore", json={"reason": "billed by hand"})
    assert (ignored.json()["status"], ignored.json()["reason"]) == ("ignored", "billed by hand")
    twice = stack.api("POST", f"/tasks/{task}/ignore", json={"reason": "again"})
    assert (twice.status_code, twice.json()["message"]) == (
        409,
        f"task {task} is ignored: it cannot become ignored",  # once "a ignored task cannot ..."
    )
    assert stack.api("POST", f"/tasks/{task}/retry").status_code == 409  # ignored: un-ignore
    assert stack.api("POST", f"/tasks/{task}/unignore").json()["status"] == "new"
    assert stack.api("POST", f"/tasks/{task}/unignore").status_code == 409
    # A product without a mapping: the task waits; once mapped, a retry syncs it.
    stack.marketplace.add_product("NEW-SKU", "Brand new product", "12.00")
    order = stack.marketplace.add_order(placed[0]["customerId"], [fee("NEW-SKU", 1, "12.00")])
    stack.api("POST", "/tasks/check-changes", json={})
    stack.drain_queue()
    assert stack.api("POST", "/tasks/sync", json={"task_ids": [order["id"]]}).status_code == 200
    stack.drain_queue()
    waiting = stack.api("GET", f"/tasks/{order['id']}").json()["task"]
    assert waiting["status"] == "action_required"
    assert waiting["reason"] == "no Xero item mapped for product(s): NEW-SKU"
    stack.xero.organisation().items["NEW-SKU"] = {"ItemID": "i-new", "Code": "NEW-SKU"}
    mapped = stack.api(
        "PUT",
        "/products/NEW-SKU",
        json={"product_name": "Brand new product", "xero_item_code": "NEW-SKU"},
    )
    assert mapped.status_code == 200
    assert stack.api("POST", f"/tasks/{order['id']}/retry").json()["status"] == "new"
    stack.drain_queue()
    assert stack.api("GET", f"/tasks/{order['id']}").json()["task"]["status"] == "synced"
