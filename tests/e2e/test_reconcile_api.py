"""The drift report on the local stack: a seeded set with one case of every kind the stack can
make, every case found, repaired only when asked; and bad input refused, naming the field."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from local.stack import DEMO_RESELLER, LocalStack

PERIOD = {"from": "2000-01-01T00:00:00Z", "to": "2000-12-31T00:00:00Z"}


def period_now(stack: LocalStack) -> dict[str, str]:
    del stack
    return {"from": "2026-01-01T00:00:00Z", "to": "2026-12-31T00:00:00Z"}


def synced_books(stack: LocalStack, orders: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    customer = stack.seed_demo_reseller(settings={"auto_sync": "off"})
    placed = [
        stack.marketplace.add_order(customer["id"], [("MS-TEAMS-ESS", n + 1, "4.00")])
        for n in range(orders)
    ]
    stack.api("POST", "/tasks/check-changes", json={"customer_id": customer["id"]})
    stack.drain_queue()
    answer = stack.api("POST", "/tasks/sync", json={"task_ids": [o["id"] for o in placed]})
    assert answer.status_code == 200, answer.text
    stack.drain_queue()
    return customer, placed


def report(stack: LocalStack, window: dict[str, str]) -> dict[str, Any]:
    answer = stack.api("GET", "/reconcile", params=window)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def invoice_of(stack: LocalStack, order: dict[str, Any]) -> dict[str, Any]:
    (found,) = [
        i
        for i in stack.xero.organisation().invoices.values()
        if i["Reference"] == order["orderNumber"]
    ]
    return found


def test_consistent_books_report_nothing(stack: LocalStack) -> None:
    synced_books(stack, 3)
    window = period_now(stack)
    body = report(stack, window)
    assert (body["orders"], body["tasks"], body["differences"]) == (3, 3, [])
    assert body["documents"] == 3


def test_every_case_is_found_and_repaired_only_when_asked(stack: LocalStack) -> None:
    customer, placed = synced_books(stack, 5)
    org = stack.xero.organisation()
    voided, deleted, doubled, wrong, _ = placed
    invoice_of(stack, voided)["Status"] = "VOIDED"
    invoice_of(stack, deleted)["Status"] = "DELETED"
    twin = copy.deepcopy(invoice_of(stack, doubled))
    twin["InvoiceID"] = str(uuid.uuid4())
    org.invoices[twin["InvoiceID"]] = twin
    off = invoice_of(stack, wrong)
    off["SubTotal"], off["Total"] = off["SubTotal"] + 1, off["Total"] + 1
    for line in off["LineItems"]:  # a person changed the amount in Xero
        line["LineAmount"] = line["LineAmount"] + 1
        break
    # An order never picked up; another whose document was made by hand while its task waited.
    lost = stack.marketplace.add_order(customer["id"], [("MS-TEAMS-ESS", 1, "4.00")])
    by_hand = stack.marketplace.add_order(customer["id"], [("MS-TEAMS-ESS", 1, "4.00")])
    stack.api("POST", "/tasks/check-changes", json={"customer_id": customer["id"]})
    stack.drain_queue()
    hand_made = copy.deepcopy(invoice_of(stack, placed[4]))
    hand_made.update(InvoiceID=str(uuid.uuid4()), Reference=by_hand["orderNumber"])
    hand_made["SubTotal"] = hand_made["Total"] = 4.0
    org.invoices[hand_made["InvoiceID"]] = hand_made
    # The lost order: its task is removed, as if the check never saw it.
    stack.dynamodb.delete_item(
        TableName=stack.tables["TasksTable"],
        Key={"pk": {"S": DEMO_RESELLER}, "sk": {"S": f"TASK#{lost['id']}"}},
    )
    # The customer's contact archived in Xero; an item deleted while still mapped.
    link = stack.api("GET", "/customers").json()
    contact_id = next(c["xero_contact_id"] for c in link if c["customer_id"] == customer["id"])
    org.contacts[contact_id]["ContactStatus"] = "ARCHIVED"
    mapped = [p for p in stack.api("GET", "/products").json() if p.get("xero_item_code")]
    gone = next(p for p in mapped if p["mpn"] != "MS-TEAMS-ESS")
    del org.items[gone["xero_item_code"]]

    invoices_before = len(org.invoices)
    stack.drain_queue()  # nothing by itself: no repair without the reseller's word
    window = period_now(stack)
    calls_before = sum(org.calls_by_day.values())
    found = {d["kind"]: d for d in report(stack, window)["differences"]}
    calls = sum(org.calls_by_day.values()) - calls_before
    print(f"\ndrift report: {len(found)} kinds found with {calls} Xero calls")
    assert calls <= 6  # batched: by reference, by id, contacts, items
    assert sorted(found) == sorted(
        [
            "order_without_task",
            "document_voided",
            "document_deleted",
            "duplicate_document",
            "totals_differ",
            "document_without_task",
            "contact_archived",
            "item_deleted",
        ]
    )
    assert len(org.invoices) == invoices_before
    assert found["document_voided"]["order_id"] == voided["id"]
    assert found["document_voided"]["repairs"] == ["ignore", "remake"]

    def repair(kind: str, action: str, **extra: Any) -> Any:
        body = {**window, "key": found[kind]["key"], "action": action, **extra}
        return stack.api("POST", "/reconcile/repairs", json=body)

    wrong_action = repair("document_voided", "adopt")
    assert wrong_action.status_code == 400
    assert wrong_action.json()["fields"][0]["field"] == "action"
    no_reason = repair("totals_differ", "ignore")
    assert (no_reason.status_code, no_reason.json()["fields"][0]["field"]) == (400, "reason")

    adopted = repair("document_without_task", "adopt")
    assert adopted.status_code == 200, adopted.text
    assert adopted.json()["task"]["status"] == "synced"
    assert adopted.json()["task"]["document"]["id"] == hand_made["InvoiceID"]
    remade = repair("document_voided", "remake")
    assert remade.json()["task"]["status"] == "new"
    created = repair("order_without_task", "create_task")
    assert created.json()["task"]["order_id"] == lost["id"]
    assert repair("totals_differ", "ignore", reason="credited by hand").status_code == 200
    assert repair("duplicate_document", "ignore", reason="voided the copy").status_code == 200
    assert repair("document_deleted", "ignore", reason="cancelled").status_code == 200
    other = {"ContactID": str(uuid.uuid4()), "Name": "Survivor Ltd", "ContactStatus": "ACTIVE"}
    org.contacts[other["ContactID"]] = other
    remapped = repair("contact_archived", "remap", contact_id=other["ContactID"])
    assert remapped.status_code == 200, remapped.text
    taken = repair("item_deleted", "remap", item_code="MS-TEAMS-ESS")  # one product per item
    assert taken.status_code == 409
    org.items["NEW-ITEM"] = {"ItemID": str(uuid.uuid4()), "Code": "NEW-ITEM", "Name": "New"}
    remapped_item = repair("item_deleted", "remap", item_code="NEW-ITEM")
    assert remapped_item.status_code == 200, remapped_item.text
    again = repair("totals_differ", "ignore", reason="twice")
    assert again.status_code == 409 and again.json()["fields"][0]["field"] == "key"

    repair_calls = sum(org.calls_by_day.values()) - calls_before - calls
    print(f"drift repairs: 12 requests (8 done, 4 refused) with {repair_calls} Xero calls")
    stack.drain_queue()  # the re-made document goes to Xero now, to the contact mapped since
    assert len(org.invoices) == invoices_before + 1
    again_made = [
        i
        for i in org.invoices.values()
        if i["Reference"] == voided["orderNumber"] and i["Status"] != "VOIDED"
    ]
    assert [i["Contact"]["ContactID"] for i in again_made] == [other["ContactID"]]
    # The created task waits as any new task does (auto-sync is off): synced by hand.
    assert stack.api("GET", f"/tasks/{lost['id']}").json()["task"]["status"] == "new"
    left = report(stack, window)
    assert left["differences"] == [] and left["ignored"] == 3
    log = stack.api("GET", "/action-log").json()["items"]
    repairs = [e for e in log if e["action"].startswith("drift_")]
    assert len(repairs) == 8 and all(e["actor"] != "scheduler" for e in repairs)


def test_bad_periods_and_keys_are_refused(stack: LocalStack) -> None:
    synced_books(stack, 1)
    cases = [
        ({"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "from"),
        ({"from": "2024-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "to"),
        ({"from": "0001-01-01T00:00:00Z", "to": "9999-12-31T23:59:59Z"}, "to"),
        ({"to": "2026-01-01T00:00:00Z"}, "from"),
        ({"from": "2026-01-01T00:00:00Z"}, "to"),
        ({"from": "2026-01-01T00:00:00", "to": "2026-01-02T00:00:00Z"}, "from"),
        ({"from": "0001-01-01T00:00:00+01:00", "to": "0001-01-02T00:00:00Z"}, "from"),
    ]
    for params, field in cases:
        answer = stack.api("GET", "/reconcile", params=params)
        assert answer.status_code in (400, 422), (params, answer.text)
        assert answer.json()["fields"][0]["field"] == field, (params, answer.json())
    window = period_now(stack)
    for key in ("../etc/passwd", "document_voided:../../x", "x" * 300, ""):
        answer = stack.api(
            "POST", "/reconcile/repairs", json={**window, "key": key, "action": "ignore"}
        )
        assert answer.status_code == 422, (key, answer.text)
    absent = stack.api(
        "POST",
        "/reconcile/repairs",
        json={**window, "key": "document_voided:123", "action": "ignore", "reason": "x"},
    )
    assert absent.status_code == 409 and "no difference" in absent.json()["message"]


def test_the_scheduled_run_keeps_counts_for_the_dashboard_once_a_day(stack: LocalStack) -> None:
    customer = stack.seed_demo_reseller(settings={"auto_sync": "daily"})
    placed = [stack.marketplace.add_order(customer["id"], [("MS-TEAMS-ESS", 1, "4.00")])]
    stack.api("POST", "/tasks/check-changes", json={"customer_id": customer["id"]})
    stack.drain_queue()
    stack.api("POST", "/tasks/sync", json={"task_ids": [placed[0]["id"]]})
    stack.drain_queue()
    assert stack.invoker.invoke("DriftFunction", {"run": "drift"})["checked"] == 1
    assert stack.api("GET", "/dashboard").json()["drift"]["total"] == 0
    assert not [
        e for e in stack.api("GET", "/action-log").json()["items"] if e["action"] == "drift_found"
    ]
    invoice_of(stack, placed[0])["Status"] = "VOIDED"
    again = stack.invoker.invoke("DriftFunction", {"run": "drift"})
    assert (again["checked"], again["skipped"]) == (0, 1)  # once a day
    stack.dynamodb.delete_item(  # a day later
        TableName=stack.tables["MappingsTable"],
        Key={"pk": {"S": DEMO_RESELLER}, "sk": {"S": "DRIFT#COUNTS"}},
    )
    assert stack.invoker.invoke("DriftFunction", {"run": "drift"})["checked"] == 1
    drift = stack.api("GET", "/dashboard").json()["drift"]
    assert (drift["total"], drift["counts"]) == (1, {"document_voided": 1})
    (entry,) = [
        e for e in stack.api("GET", "/action-log").json()["items"] if e["action"] == "drift_found"
    ]
    assert entry["status"] == "action_required" and "document voided" in entry["message"]
