"""Sync tasks, one per order, with sparse indexes for open tasks and retries."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from cbxero import keys
from cbxero.adapters.dynamo.table import (
    Selection,
    Table,
    conditional,
    failed_conditions,
    stamp,
    to_item,
)
from cbxero.domain.model import SyncTask
from cbxero.ports import TaskRepository

if TYPE_CHECKING:
    from cbxero.domain.listing import TaskFilter, TaskPage

TRANSACTION_LIMIT = 100


class DynamoTaskRepository(Table, TaskRepository):
    PREFIX = "TASK#"

    RETRY_SHARD = "due"

    def _item(self, task: SyncTask) -> dict[str, Any]:
        document = task.model_dump(mode="json")
        return to_item(
            {
                keys.PK: task.reseller_id,
                keys.SK: self.PREFIX + task.task_id,
                keys.STATUS_KEY: f"{task.reseller_id}#{task.status.value}",
                keys.CREATED_AT: document["created_at"],
                # Sparse indexes: open tasks by customer, and tasks with a time to look again.
                keys.OPEN_KEY: None if task.is_final else f"{task.reseller_id}#{task.customer_id}",
                keys.RETRY_SHARD: self.RETRY_SHARD if task.retry_at else None,
                keys.RETRY_AT: int(task.retry_at.timestamp()) if task.retry_at else None,
                # Sparse: findable by its document (the invoice, else the credit note).
                keys.DOCUMENT_KEY: f"{task.reseller_id}#{held.id}"
                if (held := task.document or task.credit_note) and held.id
                else None,
                "customer_id": task.customer_id,
                "task": document,
            }
        )

    def get(self, reseller_id: str, task_id: str) -> SyncTask | None:
        item = self._get(reseller_id, self.PREFIX + task_id)
        return SyncTask.model_validate(item["task"]) if item else None

    def add_many_if_absent(self, tasks: Sequence[SyncTask]) -> list[bool]:
        return self._transact(
            [
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": self._item(task),
                        "ConditionExpression": "attribute_not_exists(#pk)",
                        "ExpressionAttributeNames": {"#pk": keys.PK},
                    }
                }
                for task in tasks
            ]
        )

    def replace_many(self, changes: Sequence[tuple[SyncTask, SyncTask]]) -> list[bool]:
        return self._transact(
            [
                {"Put": {"TableName": self._table, "Item": self._item(task), **_same(previous)}}
                for task, previous in changes
            ]
        )

    def _transact(self, writes: list[dict[str, Any]]) -> list[bool]:
        """Conditional writes, up to 100 to a transaction. A transaction fails whole when one
        condition fails; those writes are then dropped and the rest tried again."""
        keys_written = [json.dumps(_written_key(w), sort_keys=True) for w in writes]
        if len(set(keys_written)) != len(keys_written):
            # AWS refuses the whole transaction (ValidationException, no cancellation reasons);
            # DynamoDB Local cancels one write instead. Refuse here, the same everywhere.
            raise ValueError("one transaction may not write the same item twice")
        done = [False] * len(writes)
        for start in range(0, len(writes), TRANSACTION_LIMIT):
            pending = list(range(start, min(start + TRANSACTION_LIMIT, len(writes))))
            while pending:
                try:
                    self._client.transact_write_items(
                        TransactItems=[writes[n] for n in pending]  # type: ignore[misc]
                    )
                except ClientError as error:
                    failed = failed_conditions(error)
                    if failed is None:
                        raise
                    pending = [n for n, lost in zip(pending, failed, strict=True) if not lost]
                    continue
                for n in pending:
                    done[n] = True
                pending = []
        return done

    def replace(self, task: SyncTask, *, previous: SyncTask) -> bool:
        written = conditional(
            self._client.put_item, TableName=self._table, Item=self._item(task), **_same(previous)
        )
        return written is not None

    def page(self, reseller_id: str, wanted: TaskFilter) -> TaskPage:
        from cbxero.domain.listing import TaskPage  # only the Settings function lists tasks

        if wanted.status is not None:
            index, partition = keys.Index.TASKS_BY_STATUS, keys.STATUS_KEY
            value = f"{reseller_id}#{wanted.status.value}"
        else:
            index, partition, value = keys.Index.TASKS_BY_CREATION, keys.PK, reseller_id
        selection = (
            Selection(value, partition=partition, index=index)
            .sort_range(
                keys.CREATED_AT,
                stamp(wanted.created_from) if wanted.created_from else None,
                stamp(wanted.created_to) if wanted.created_to else None,
            )
            .equal("task.order_type", wanted.order_type.value if wanted.order_type else None)
            .equal("customer_id", wanted.customer_id)
        )
        found, following = self._page(
            reseller_id,
            selection,
            wanted.limit,
            wanted.cursor,
            cursor_keys={keys.PK, keys.SK, keys.CREATED_AT, partition},
            scope="tasks " + wanted.model_dump_json(exclude={"cursor", "limit"}),
        )
        return TaskPage(
            items=[SyncTask.model_validate(item["task"]) for item in found],
            next_cursor=following,
        )

    def open_for_customer(self, reseller_id: str, customer_id: str) -> list[SyncTask]:
        return [
            SyncTask.model_validate(item["task"])
            for item in self._query(
                f"{reseller_id}#{customer_id}",
                index=keys.Index.OPEN_TASKS_BY_CUSTOMER,
                partition=keys.OPEN_KEY,
            )
        ]

    def due_for_retry(self, now: datetime) -> Iterator[tuple[str, str]]:
        seen: set[tuple[str, str]] = set()
        due = Selection(
            self.RETRY_SHARD, partition=keys.RETRY_SHARD, index=keys.Index.TASKS_DUE_FOR_RETRY
        ).sort_range(keys.RETRY_AT, None, int(now.timestamp()))
        for item in self._read(due):
            pair = (str(item[keys.PK]), str(item["customer_id"]))
            if pair not in seen:
                seen.add(pair)
                yield pair

    def for_document(self, reseller_id: str, document_id: str) -> list[SyncTask]:
        return [
            SyncTask.model_validate(item["task"])
            for item in self._query(
                f"{reseller_id}#{document_id}",
                index=keys.Index.TASKS_BY_DOCUMENT,
                partition=keys.DOCUMENT_KEY,
            )
        ]


def _written_key(write: dict[str, Any]) -> tuple[str, Any, Any]:
    """The table and primary key a transaction's write touches."""
    ((_kind, body),) = write.items()
    item = body.get("Item") or body.get("Key") or {}
    return (body["TableName"], item.get(keys.PK), item.get(keys.SK))


def _same(previous: SyncTask) -> dict[str, Any]:
    """The condition that the stored task is still `previous` (status and update time)."""
    return {
        "ConditionExpression": "#t.#s = :s AND #t.#u = :u",
        "ExpressionAttributeNames": {"#t": "task", "#s": "status", "#u": "updated_at"},
        "ExpressionAttributeValues": to_item(
            {":s": previous.status.value, ":u": previous.model_dump(mode="json")["updated_at"]}
        ),
    }
