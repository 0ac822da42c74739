"""Settings function: the store UI's API. A door: parse, call the reseller's use case, answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from cbxero import composition
from cbxero.config import config
from cbxero.domain.errors import InvalidInput
from cbxero.domain.listing import LogFilter, LogPage, TaskFilter, TaskPage
from cbxero.domain.marketplace import OrderType
from cbxero.domain.model import (
    ActionLogEntry,
    CustomerLink,
    LineEdit,
    LogStatus,
    ProductMapping,
    SyncTask,
    TargetChoice,
    TaskStatus,
)
from cbxero.domain.settings import Settings, SettingsPatch
from cbxero.http import actor_of, etag, install_error_handlers, parsed_if_match, reseller_of
from cbxero.ports import Clock
from cbxero.services.tasks import MAX_TASKS_BY_HAND, HandSync, TaskDetail

logger = Logger()
app = APIGatewayHttpResolver(enable_validation=True)
install_error_handlers(app, logger)
CONFIG = config()
ADMIN = composition.admin(CONFIG, Clock())
TASKS = composition.task_desk(CONFIG, Clock())


class CustomerLinkBody(BaseModel):
    xero_contact_id: str | None = Field(None, min_length=1, max_length=64)
    auto_sync: bool = False


class ProductMappingBody(BaseModel):
    product_name: str = Field(min_length=1, max_length=255)
    xero_item_code: str = Field(min_length=1, max_length=30)


class SyncQueued(BaseModel):
    customer_id: str
    queued: bool = True


def _reseller() -> str:
    return reseller_of(app, CONFIG.reseller_claim)


IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="The ETag of the settings read; a save over someone else's answers 412.",
        max_length=100,
    ),
]


def _versioned(saved: tuple[Settings, int]) -> Response[Settings]:
    settings, version = saved
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=settings,
        headers={"ETag": etag(version)},
    )


@app.get("/settings")
def get_settings() -> Response[Settings]:
    return _versioned(ADMIN.settings(_reseller()))


@app.put("/settings")
def put_settings(body: Settings, if_match_header: IfMatch = None) -> Response[Settings]:
    version = parsed_if_match(if_match_header)
    return _versioned(ADMIN.replace_settings(_reseller(), body, actor_of(app), version))


@app.patch("/settings")
def patch_settings(body: SettingsPatch, if_match_header: IfMatch = None) -> Response[Settings]:
    version = parsed_if_match(if_match_header)
    return _versioned(ADMIN.patch_settings(_reseller(), body, actor_of(app), version))


@app.get("/customers")
def list_customers() -> list[CustomerLink]:
    return ADMIN.customers(_reseller())


@app.put("/customers/<customerId>")
def link_customer(
    customerId: Annotated[str, Path(min_length=1, max_length=64)],
    body: CustomerLinkBody,
) -> CustomerLink:
    return ADMIN.link_customer(
        _reseller(), customerId, body.xero_contact_id, body.auto_sync, actor_of(app)
    )


@app.post("/customers/<customerId>/sync")
def sync_customer(
    customerId: Annotated[str, Path(min_length=1, max_length=64)],
) -> SyncQueued:
    ADMIN.sync_now(_reseller(), customerId, actor_of(app))
    return SyncQueued(customer_id=customerId)


@app.get("/products")
def list_products() -> list[ProductMapping]:
    return ADMIN.products(_reseller())


@app.put("/products/<mpn>")
def map_product(
    mpn: Annotated[str, Path(min_length=1, max_length=128)], body: ProductMappingBody
) -> ProductMapping:
    return ADMIN.map_product(
        _reseller(), mpn, body.product_name, body.xero_item_code, actor_of(app)
    )


TaskId = Annotated[str, Path(min_length=1, max_length=64)]


class CheckChangesBody(BaseModel):
    customer_id: str | None = Field(
        None, min_length=1, max_length=64, description="One customer; none: every customer."
    )


class CheckQueued(BaseModel):
    jobs_queued: int


class SyncOneBody(BaseModel):
    """A sync by hand: lines edited first, and where they go."""

    model_config = ConfigDict(extra="forbid")

    edits: list[LineEdit] = Field(default_factory=list, max_length=500)
    target: TargetChoice = Field(
        TargetChoice.NEW,
        description="new: an invoice of its own; latest: the customer's latest editable "
        "invoice; given: the invoice named by invoice_id.",
    )
    invoice_id: str | None = Field(None, min_length=1, max_length=64)


class SyncManyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=MAX_TASKS_BY_HAND
    )
    edits: dict[str, list[LineEdit]] = Field(default_factory=dict, max_length=MAX_TASKS_BY_HAND)
    target: TargetChoice = TargetChoice.NEW
    invoice_id: str | None = Field(None, min_length=1, max_length=64)


class IgnoreBody(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


@app.get("/tasks")
def list_tasks(
    status: Annotated[TaskStatus | None, Query()] = None,
    type: Annotated[OrderType | None, Query()] = None,
    customer_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    created_from: Annotated[datetime | None, Query(alias="from")] = None,
    created_to: Annotated[datetime | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(min_length=1, max_length=2000)] = None,
) -> TaskPage:
    return TASKS.page(
        _reseller(),
        TaskFilter(
            status=status,
            order_type=type,
            customer_id=customer_id,
            created_from=_aware(created_from, "from"),
            created_to=_aware(created_to, "to"),
            limit=limit,
            cursor=cursor,
        ),
    )


@app.get("/tasks/<taskId>")
def get_task(taskId: TaskId) -> TaskDetail:
    return TASKS.detail(_reseller(), taskId)


@app.post("/tasks/check-changes")
def check_changes(body: CheckChangesBody) -> CheckQueued:
    queued = TASKS.check_changes(_reseller(), body.customer_id, actor_of(app))
    return CheckQueued(jobs_queued=queued)


@app.post("/tasks/sync")
def sync_tasks(body: SyncManyBody) -> list[SyncTask]:
    request = HandSync(
        task_ids=tuple(body.task_ids),
        edits={task_id: tuple(edits) for task_id, edits in body.edits.items()},
        target=body.target,
        invoice_id=body.invoice_id,
    )
    return TASKS.sync_by_hand(_reseller(), request, actor_of(app))


@app.post("/tasks/<taskId>/sync")
def sync_task(taskId: TaskId, body: SyncOneBody) -> SyncTask:
    request = HandSync(
        task_ids=(taskId,),
        edits={taskId: tuple(body.edits)},
        target=body.target,
        invoice_id=body.invoice_id,
    )
    (task,) = TASKS.sync_by_hand(_reseller(), request, actor_of(app))
    return task


@app.post("/tasks/<taskId>/ignore")
def ignore_task(taskId: TaskId, body: IgnoreBody) -> SyncTask:
    return TASKS.ignore(_reseller(), taskId, body.reason, actor_of(app))


@app.post("/tasks/<taskId>/unignore")
def unignore_task(taskId: TaskId) -> SyncTask:
    return TASKS.unignore(_reseller(), taskId, actor_of(app))


@app.post("/tasks/<taskId>/retry")
def retry_task(taskId: TaskId) -> SyncTask:
    return TASKS.retry(_reseller(), taskId, actor_of(app))


def _aware(moment: datetime | None, name: str) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        raise InvalidInput("give a time zone (say, Z)", field=name)
    return moment


Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(min_length=1, max_length=2000)]
EntryId = Annotated[str, Path(min_length=1, max_length=64)]


class MarkedRead(BaseModel):
    marked: int


@app.get("/action-log")
def action_log(
    status: Annotated[LogStatus | None, Query()] = None,
    action: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    customer_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    at_from: Annotated[datetime | None, Query(alias="from")] = None,
    at_to: Annotated[datetime | None, Query(alias="to")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> LogPage:
    return ADMIN.action_log(
        _reseller(),
        LogFilter(
            status=status,
            action=action,
            customer_id=customer_id,
            at_from=_aware(at_from, "from"),
            at_to=_aware(at_to, "to"),
            limit=limit,
            cursor=cursor,
        ),
    )


@app.get("/action-log/<entryId>")
def log_entry(entryId: EntryId) -> ActionLogEntry:
    return ADMIN.log_entry(_reseller(), entryId)


@app.get("/notifications")
def notifications(limit: Limit = 50, cursor: Cursor = None) -> LogPage:
    return ADMIN.notifications(_reseller(), limit, cursor)


@app.post("/notifications/<entryId>/read")
def mark_read(entryId: EntryId) -> MarkedRead:
    return MarkedRead(marked=ADMIN.mark_read(_reseller(), entryId))


@app.post("/notifications/read-all")
def mark_all_read() -> MarkedRead:
    return MarkedRead(marked=ADMIN.mark_read(_reseller(), None))


@app.get("/openapi.json")
def openapi() -> Any:
    return app.get_openapi_schema(title="cbxero store API", version="1").model_dump(
        mode="json", by_alias=True, exclude_none=True
    )


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
