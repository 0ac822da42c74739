"""The demo's path on DynamoDB Local: connect, configure, order, schedule, sync, check Xero."""

from __future__ import annotations

from decimal import Decimal

from local.demo import ORDER_LINES, SETTINGS, invoice_matches
from local.stack import LocalStack


def test_a_sales_order_becomes_the_matching_invoice(stack: LocalStack) -> None:
    customer = stack.seed_demo_reseller(settings=SETTINGS)
    order = stack.marketplace.add_order(customer["id"], ORDER_LINES)
    assert stack.fire_schedule("every_5_minutes")["jobs"] == 1
    assert stack.drain_queue() == 1
    (invoice,) = stack.xero.organisation().invoices.values()
    assert invoice_matches(invoice, order) == []
    assert invoice["InvoiceNumber"] == order["orderNumber"]
    assert invoice["Contact"]["ContactNumber"] == customer["id"]
    assert Decimal(str(invoice["Total"])) == Decimal(order["total"]["amount"])
    (task,) = stack.api("GET", "/tasks").json()["items"]
    assert (task["status"], task["document"]["id"]) == ("synced", invoice["InvoiceID"])
    messages = [e["message"] for e in stack.api("GET", "/action-log").json()["items"]]
    assert (
        f"Order {order['orderNumber']} synced to Xero: invoice {order['orderNumber']}" in messages
    )


def test_double_dispatch_and_redelivery_make_no_duplicate(stack: LocalStack) -> None:
    customer = stack.seed_demo_reseller()
    stack.marketplace.add_order(customer["id"], ORDER_LINES)
    stack.fire_schedule("every_5_minutes")
    stack.fire_schedule("every_5_minutes")  # same slot: de-duplicated by the FIFO queue
    stack.drain_queue()
    # A by-hand sync afterwards re-reads the marketplace and finds nothing new to send.
    assert stack.api("POST", f"/customers/{customer['id']}/sync").status_code == 200
    stack.drain_queue()
    assert len(stack.xero.organisation().invoices) == 1
    assert [t["status"] for t in stack.api("GET", "/tasks").json()["items"]] == ["synced"]


def test_a_worker_that_dies_after_xero_answered_does_not_duplicate(stack: LocalStack) -> None:
    customer = stack.seed_demo_reseller()
    stack.marketplace.add_order(customer["id"], ORDER_LINES)
    stack.fire_schedule("every_5_minutes")
    stack.drain_queue()
    # Put the task back as if the worker had died between Xero's answer and the ledger write.
    import boto3

    from cbxero.domain.model import TaskStatus
    from local.records import DynamoTaskRecords

    tasks = DynamoTaskRecords(boto3.client("dynamodb"), stack.tables["TasksTable"])
    (task,) = tasks.for_reseller("reseller-1001")
    stuck = task.model_copy(update={"status": TaskStatus.FAILED, "document": None})
    tasks.replace(stuck, previous=task)
    stack.api("POST", f"/customers/{customer['id']}/sync")
    stack.drain_queue()
    assert len(stack.xero.organisation().invoices) == 1
    assert tasks.for_reseller("reseller-1001")[0].status is TaskStatus.SYNCED


def test_a_long_retry_after_brings_the_task_back_when_due(stack: LocalStack) -> None:
    import time

    customer = stack.seed_demo_reseller()
    stack.marketplace.add_order(customer["id"], ORDER_LINES)
    stack.xero.fault_retry_after = 6  # longer than a worker sleeps: the task must come back later
    stack.xero.faults.append("429")
    stack.fire_schedule("every_5_minutes")
    assert stack.drain_queue() == 1  # the job is done; its task waits, not the message
    assert stack.xero.organisation().invoices == {}
    (task,) = stack.api("GET", "/tasks").json()["items"]
    assert task["status"] == "failed" and "limit" in task["reason"]
    assert stack.fire_schedule("every_5_minutes")["retry_jobs"] == 0  # not due yet
    time.sleep(6.5)
    assert stack.fire_schedule("every_5_minutes")["retry_jobs"] == 1  # the retry sweep
    assert stack.drain_queue() >= 1  # the retry job (the emulated queue may not de-duplicate)
    assert len(stack.xero.organisation().invoices) == 1
    assert [t["status"] for t in stack.api("GET", "/tasks").json()["items"]] == ["synced"]


def test_a_job_that_keeps_failing_is_set_aside_and_the_reseller_told(
    dynamodb_local: str,
) -> None:
    import time

    with LocalStack(dynamodb_endpoint=dynamodb_local, quiet=True, visibility_timeout=1) as stack:
        customer = stack.seed_demo_reseller()
        stack.marketplace.add_order(customer["id"], ORDER_LINES)
        stack.marketplace.faults.extend(["500"] * 40)  # the marketplace is down, for good
        stack.fire_schedule("every_5_minutes")
        for _ in range(5):  # five deliveries, each failing
            stack.drain_queue()
            time.sleep(1.2)
        stack.drain_queue()
        dead = stack.sqs.receive_message(QueueUrl=stack.dead_letter_url).get("Messages", [])
        assert len(dead) == 1
        errors = [
            e for e in stack.api("GET", "/action-log").json()["items"] if e["status"] == "error"
        ]
        assert len(errors) == 1
        assert "set aside for support (dead-letter queue)" in errors[0]["message"]
        assert errors[0]["customer_id"] == customer["id"]
