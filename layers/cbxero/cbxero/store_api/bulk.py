"""Bulk actions on the task list by filter: `POST /tasks/bulk`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, ConfigDict, Field

from cbxero.domain.listing import TaskFilter
from cbxero.domain.marketplace import MarketplaceId, OrderType
from cbxero.domain.model import TaskStatus
from cbxero.services.bulk import MOST_PER_CALL, BulkAction, BulkResult
from cbxero.store_api.params import Caller, Moment, period

if TYPE_CHECKING:
    from cbxero.services.bulk import TaskBulk


class BulkFilter(BaseModel):
    """The task list's filters (as `GET /tasks` takes them)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    status: TaskStatus | None = None
    type: OrderType | None = None
    customer_id: MarketplaceId | None = None
    created_from: Moment | None = Field(None, alias="from")
    created_to: Moment | None = Field(None, alias="to")
    task_ids: list[MarketplaceId] | None = Field(
        None,
        min_length=1,
        max_length=MOST_PER_CALL,
        description="Only these tasks (the rows a user selected), in one call; the other "
        "filters, limit and cursor are then not used.",
    )


class BulkBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: BulkAction
    filter: BulkFilter = Field(default_factory=BulkFilter)
    reason: str | None = Field(None, min_length=1, max_length=500, description="ignore: why")
    limit: int = Field(100, ge=1, le=MOST_PER_CALL, description="Tasks looked at in this call.")
    cursor: str | None = Field(
        None, min_length=1, max_length=2000, description="next_cursor of the previous call"
    )


def routes(bulk: TaskBulk, caller: Caller) -> Router:
    router = Router()  # type: ignore[no-untyped-call]  # Powertools leaves it unannotated

    @router.post("/tasks/bulk")
    def bulk_tasks(body: BulkBody) -> BulkResult:
        created_from, created_to = period(body.filter.created_from, body.filter.created_to)
        wanted = TaskFilter(
            status=body.filter.status,
            order_type=body.filter.type,
            customer_id=body.filter.customer_id,
            created_from=created_from,
            created_to=created_to,
            limit=body.limit,
            cursor=body.cursor,
        )
        return bulk.apply(
            caller.reseller(),
            body.action,
            wanted,
            caller.actor(),
            body.reason,
            task_ids=body.filter.task_ids,
        )

    return router
