"""What tests, benchmarks and the local stack do with the repositories and Xero beyond the ports.

The deployed code never adds one task by itself, reads every task or entry of a reseller, or
looks a Xero document up by one number: those are for checking and seeding, so they live here,
on the adapters (and the fakes in tests/fakes.py), not in cbxero.ports.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator
from datetime import datetime

from cbxero import keys
from cbxero.adapters.dynamo import DynamoActionLog, DynamoTaskRepository
from cbxero.adapters.dynamo.table import conditional
from cbxero.adapters.xero import XeroClient
from cbxero.domain.errors import DocumentRejected
from cbxero.domain.model import ActionLogEntry, SyncTask
from cbxero.domain.xero import Contact, Invoice
from cbxero.ports import ActionLog, TaskRepository

XERO_PAGE_SIZE = 100  # Xero's page size for paged reads


class TaskRecords(TaskRepository):
    """The task port, plus adding one task and reading all of a reseller's."""

    @abstractmethod
    def add_if_absent(self, task: SyncTask) -> bool:
        """Store a new task unless one exists for its order; True if this call created it."""

    @abstractmethod
    def for_reseller(
        self, reseller_id: str, *, customer_id: str | None = None
    ) -> list[SyncTask]: ...


class LogRecords(ActionLog):
    """The Action Log port, plus reading a reseller's newest entries."""

    @abstractmethod
    def for_reseller(self, reseller_id: str, limit: int = 50) -> list[ActionLogEntry]: ...


class DynamoTaskRecords(DynamoTaskRepository, TaskRecords):
    def add_if_absent(self, task: SyncTask) -> bool:
        written = conditional(
            self._client.put_item,
            TableName=self._table,
            Item=self._item(task),
            ConditionExpression="attribute_not_exists(#pk)",
            ExpressionAttributeNames={"#pk": keys.PK},
        )
        return written is not None

    def for_reseller(self, reseller_id: str, *, customer_id: str | None = None) -> list[SyncTask]:
        tasks = [
            SyncTask.model_validate(item["task"])
            for item in self._query(reseller_id, sk_prefix=self.PREFIX)
        ]
        return [t for t in tasks if customer_id is None or t.customer_id == customer_id]


class DynamoLogRecords(DynamoActionLog, LogRecords):
    def for_reseller(self, reseller_id: str, limit: int = 50) -> list[ActionLogEntry]:
        return [
            ActionLogEntry.model_validate(item["entry"])
            for item in self._query(reseller_id, forward=False, limit=limit)
        ]


_GONE = ("VOIDED", "DELETED")


class XeroRecords(XeroClient):
    """The accounting client, plus the look-ups and reads only checks and benchmarks make."""

    def find_contact_by_number(self, contact_number: str) -> Contact | None:
        found = self.contacts_matching({"ContactNumber": contact_number})
        return found[0] if found else None

    def find_invoice_by_reference(self, reference: str) -> Invoice | None:
        found = [i for i in self.invoices_by_reference([reference]) if i.status not in _GONE]
        return found[0] if found else None

    def create_invoice(self, invoice: Invoice, idempotency_key: str) -> Invoice:
        (result,) = self.create_invoices([invoice], idempotency_key)
        if result.has_errors:
            raise DocumentRejected("; ".join(error.message for error in result.validation_errors))
        return result

    def invoices_modified_since(self, since: datetime) -> Iterator[Invoice]:
        page = 1
        while True:
            answer = self._call(
                "GET",
                "/Invoices",
                params={"page": str(page), "unitdp": "4"},
                modified_since=since,
            )
            rows = answer.get("Invoices") or []
            yield from (Invoice.model_validate(raw) for raw in rows)
            if len(rows) < XERO_PAGE_SIZE:
                return
            page += 1
