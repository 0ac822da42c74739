"""The Tasks screen: one task per order, listed, inspected, synced by hand, ignored, retried."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from cbxero.domain.listing import TaskFilter, TaskPage
from cbxero.domain.marketplace import MARKETPLACE_ID_PATTERN, MarketplaceId, OrderType
from cbxero.domain.model import LineEdit, SyncTask, TargetChoice, TaskStatus
from cbxero.services.tasks import MAX_TASKS_BY_HAND, HandSync, TaskDetail
from cbxero.store_api.params import Caller, Cursor, CustomerFilter, From, Limit, To, period

if TYPE_CHECKING:
    from cbxero.services.tasks import TaskDesk

TaskId = Annotated[str, Path(min_length=1, max_length=64, pattern=MARKETPLACE_ID_PATTERN)]


class CheckChangesBody(BaseModel):
    customer_id: MarketplaceId | None = Field(
        None, description="One customer; none: every customer."
    )


class CheckQueued(BaseModel):
    jobs_queued: int


TARGET_DOC = (
    "new: an invoice of its own; latest: the customer's latest editable invoice; given: the "
    "invoice named by invoice_id; left out: as the invoice_target setting says."
)


class SyncOneBody(BaseModel):
    """A sync by hand: lines edited first, and where they go."""

    model_config = ConfigDict(extra="forbid")

    edits: list[LineEdit] = Field(default_factory=list, max_length=500)
    target: TargetChoice | None = Field(None, description=TARGET_DOC)
    invoice_id: str | None = Field(None, min_length=1, max_length=64)


class SyncManyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task_ids: list[MarketplaceId] = Field(min_length=1, max_length=MAX_TASKS_BY_HAND)
    edits: dict[str, list[LineEdit]] = Field(default_factory=dict, max_length=MAX_TASKS_BY_HAND)
    target: TargetChoice | None = Field(None, description=TARGET_DOC)
    invoice_id: str | None = Field(None, min_length=1, max_length=64)


class IgnoreBody(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


def routes(tasks: TaskDesk, caller: Caller) -> Router:
    router = Router()  # type: ignore[no-untyped-call]  # Powertools leaves it unannotated

    @router.get("/tasks")
    def list_tasks(
        status: Annotated[TaskStatus | None, Query()] = None,
        type: Annotated[OrderType | None, Query()] = None,
        customer_id: CustomerFilter = None,
        created_from: From = None,
        created_to: To = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> TaskPage:
        created_from, created_to = period(created_from, created_to)
        wanted = TaskFilter(
            status=status,
            order_type=type,
            customer_id=customer_id,
            created_from=created_from,
            created_to=created_to,
            limit=limit,
            cursor=cursor,
        )
        return tasks.page(caller.reseller(), wanted)

    @router.get("/tasks/<taskId>")
    def get_task(taskId: TaskId) -> TaskDetail:
        return tasks.detail(caller.reseller(), taskId)

    @router.post("/tasks/check-changes")
    def check_changes(body: CheckChangesBody) -> CheckQueued:
        queued = tasks.check_changes(caller.reseller(), body.customer_id, caller.actor())
        return CheckQueued(jobs_queued=queued)

    @router.post("/tasks/sync")
    def sync_tasks(body: SyncManyBody) -> list[SyncTask]:
        request = HandSync(
            task_ids=tuple(body.task_ids),
            edits={task_id: tuple(edits) for task_id, edits in body.edits.items()},
            target=body.target,
            invoice_id=body.invoice_id,
        )
        return tasks.sync_by_hand(caller.reseller(), request, caller.actor())

    @router.post("/tasks/<taskId>/sync")
    def sync_task(taskId: TaskId, body: Annotated[SyncOneBody | None, Body()] = None) -> SyncTask:
        body = body or SyncOneBody()  # no body: the order's lines as they are, the setting's target
        request = HandSync(
            task_ids=(taskId,),
            edits={taskId: tuple(body.edits)},
            target=body.target,
            invoice_id=body.invoice_id,
        )
        (task,) = tasks.sync_by_hand(caller.reseller(), request, caller.actor())
        return task

    @router.post("/tasks/<taskId>/ignore")
    def ignore_task(taskId: TaskId, body: IgnoreBody) -> SyncTask:
        return tasks.ignore(caller.reseller(), taskId, body.reason, caller.actor())

    @router.post("/tasks/<taskId>/unignore")
    def unignore_task(taskId: TaskId) -> SyncTask:
        return tasks.unignore(caller.reseller(), taskId, caller.actor())

    @router.post("/tasks/<taskId>/retry")
    def retry_task(taskId: TaskId) -> SyncTask:
        return tasks.retry(caller.reseller(), taskId, caller.actor())

    return router
