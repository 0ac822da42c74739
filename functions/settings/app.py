"""Settings function: the store UI's API. A door: parse, call the reseller's use case, answer."""

from __future__ import annotations

import json
import pathlib
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool

from cbxero import composition
from cbxero.api_docs import whole_document
from cbxero.config import SettingsConfig
from cbxero.domain.documents import CANCELLATION_FEE
from cbxero.domain.errors import InvalidInput
from cbxero.domain.listing import LogFilter, LogPage, TaskFilter, TaskPage
from cbxero.domain.marketplace import MARKETPLACE_ID_PATTERN, MarketplaceId, OrderType
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
from cbxero.domain.xero import Account, Contact, Item, TaxRate
from cbxero.http import (
    JsonApiResolver,
    actor_of,
    etag,
    install_error_handlers,
    parsed_if_match,
    reseller_of,
    with_error_responses,
)
from cbxero.services.mapping import CustomerRow, ImportReport, ItemMade, ProductRow
from cbxero.services.tasks import MAX_TASKS_BY_HAND, HandSync, TaskDetail

logger = Logger()
app = JsonApiResolver(enable_validation=True)
install_error_handlers(app, logger)
CONFIG = SettingsConfig.from_environ()
CONTAINER = composition.Container(CONFIG)
ADMIN = CONTAINER.admin
TASKS = CONTAINER.task_desk
MAPPING = CONTAINER.mapping_desk


class CustomerLinkBody(BaseModel):
    xero_contact_id: str | None = Field(
        None, min_length=1, max_length=64, description="An existing Xero contact to map to."
    )
    auto_sync: StrictBool = False


class ProductMappingBody(BaseModel):
    xero_item_code: str = Field(min_length=1, max_length=30)


class SyncQueued(BaseModel):
    customer_id: str
    queued: bool = True


_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
    r"([Zz]|[+-][0-9]{2}:?[0-9]{2})?",
    re.ASCII,
)


def _rfc3339(value: object) -> object:
    # pydantic would also take a number (seconds since 1970) or a bare date: not a date-time.
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError("a date-time such as 2026-01-31T09:00:00Z")
    return value


Moment = Annotated[datetime, BeforeValidator(_rfc3339)]


def _reseller() -> str:
    return reseller_of(app, CONFIG.reseller_claim)


IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        pattern=r'^(\*|(W/)?"[0-9]{1,18}"|[0-9]{1,18})$',
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


CustomerId = Annotated[str, Path(min_length=1, max_length=64, pattern=MARKETPLACE_ID_PATTERN)]
Mpn = Annotated[str, Path(min_length=1, max_length=128)]
Unmapped = Annotated[bool, Query(description="Only those not mapped yet.")]


class AutoSyncBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_ids: list[MarketplaceId] = Field(min_length=1, max_length=500)
    auto_sync: StrictBool


class UnmappedProduct(BaseModel):
    unmapped: str


@app.get("/customers")
def list_customers(unmapped: Unmapped = False) -> list[CustomerRow]:
    return MAPPING.customers(_reseller(), unmapped_only=unmapped)


@app.post("/customers/import")
def import_customers() -> ImportReport:
    return MAPPING.import_all(_reseller(), actor_of(app))


@app.put("/customers/auto-sync")
def auto_sync_many(body: AutoSyncBody) -> list[CustomerLink]:
    return MAPPING.set_auto_sync(_reseller(), body.customer_ids, body.auto_sync, actor_of(app))


@app.put("/customers/<customerId>")
def link_customer(customerId: CustomerId, body: CustomerLinkBody) -> CustomerLink:
    reseller, actor = _reseller(), actor_of(app)
    if body.xero_contact_id:
        MAPPING.map_customer(reseller, customerId, body.xero_contact_id, actor)
    (link,) = MAPPING.set_auto_sync(reseller, [customerId], body.auto_sync, actor)
    return link


@app.get("/customers/<customerId>/suggestions")
def contact_suggestions(customerId: CustomerId) -> list[Contact]:
    return MAPPING.suggestions(_reseller(), customerId)


@app.post("/customers/<customerId>/xero-contact")
def create_contact(customerId: CustomerId) -> CustomerLink:
    return MAPPING.create_contact(_reseller(), customerId, actor_of(app))


@app.delete("/customers/<customerId>/xero-contact")
def unmap_customer(customerId: CustomerId) -> CustomerLink:
    return MAPPING.unmap_customer(_reseller(), customerId, actor_of(app))


@app.post("/customers/<customerId>/sync")
def sync_customer(customerId: CustomerId) -> SyncQueued:
    TASKS.sync_now(_reseller(), customerId, actor_of(app))
    return SyncQueued(customer_id=customerId)


@app.get("/products")
def list_products(unmapped: Unmapped = False) -> list[ProductRow]:
    return MAPPING.products(_reseller(), unmapped_only=unmapped)


@app.put("/products/<mpn>")
def map_product(mpn: Mpn, body: ProductMappingBody) -> ProductMapping:
    return MAPPING.map_product(_reseller(), mpn, body.xero_item_code, actor_of(app))


@app.delete("/products/<mpn>")
def unmap_product(mpn: Mpn) -> UnmappedProduct:
    MAPPING.unmap_product(_reseller(), mpn, actor_of(app))
    return UnmappedProduct(unmapped=mpn)


@app.post("/products/<mpn>/xero-item")
def create_item(mpn: Mpn) -> ItemMade:
    return MAPPING.create_item(_reseller(), mpn, actor_of(app))


@app.get("/fees")
def fees() -> dict[str, str | None]:
    return MAPPING.fees(_reseller())


@app.put("/fees/cancellation")
def map_cancellation_fee(body: ProductMappingBody) -> ProductMapping:
    return MAPPING.map_product(_reseller(), CANCELLATION_FEE, body.xero_item_code, actor_of(app))


@app.get("/xero/contacts")
def xero_contacts(
    search: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
) -> list[Contact]:
    return MAPPING.contacts(_reseller(), search)


@app.get("/xero/items")
def xero_items() -> list[Item]:
    return MAPPING.items(_reseller())


@app.get("/xero/accounts")
def xero_accounts() -> list[Account]:
    return MAPPING.accounts(_reseller())


@app.get("/xero/tax-rates")
def xero_tax_rates() -> list[TaxRate]:
    return MAPPING.tax_rates(_reseller())


TaskId = Annotated[str, Path(min_length=1, max_length=64, pattern=MARKETPLACE_ID_PATTERN)]
CustomerFilter = Annotated[
    str | None, Query(min_length=1, max_length=64, pattern=MARKETPLACE_ID_PATTERN)
]


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


@app.get("/tasks")
def list_tasks(
    status: Annotated[TaskStatus | None, Query()] = None,
    type: Annotated[OrderType | None, Query()] = None,
    customer_id: CustomerFilter = None,
    created_from: Annotated[Moment | None, Query(alias="from")] = None,
    created_to: Annotated[Moment | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(min_length=1, max_length=2000)] = None,
) -> TaskPage:
    created_from, created_to = _period(created_from, created_to)
    return TASKS.page(
        _reseller(),
        TaskFilter(
            status=status,
            order_type=type,
            customer_id=customer_id,
            created_from=created_from,
            created_to=created_to,
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
def sync_task(taskId: TaskId, body: Annotated[SyncOneBody | None, Body()] = None) -> SyncTask:
    body = body or SyncOneBody()  # no body: the order's lines as they are, the setting's target
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
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise InvalidInput("give a time zone (say, Z)", field=name)
    try:  # 0001-01-01T00:00+01:00 is a time before year 1 in UTC, which Python cannot hold
        return moment.astimezone(UTC)
    except OverflowError:
        raise InvalidInput("out of range once in UTC", field=name) from None


def _period(start: datetime | None, end: datetime | None) -> tuple[datetime | None, ...]:
    """A from/to pair, both with a time zone, from no later than to."""
    start, end = _aware(start, "from"), _aware(end, "to")
    if start is not None and end is not None and start > end:
        raise InvalidInput("from is later than to", field="from")
    return start, end


Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(min_length=1, max_length=2000)]
EntryId = Annotated[str, Path(min_length=1, max_length=64)]


class MarkedRead(BaseModel):
    marked: int


@app.get("/action-log")
def action_log(
    status: Annotated[LogStatus | None, Query()] = None,
    action: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    customer_id: CustomerFilter = None,
    at_from: Annotated[Moment | None, Query(alias="from")] = None,
    at_to: Annotated[Moment | None, Query(alias="to")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> LogPage:
    at_from, at_to = _period(at_from, at_to)
    return ADMIN.action_log(
        _reseller(),
        LogFilter(
            status=status,
            action=action,
            customer_id=customer_id,
            at_from=at_from,
            at_to=at_to,
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


# The OAuth function's routes, generated from its resolver (`make openapi`): one document.
OAUTH_PART = pathlib.Path(__file__).with_name("oauth_openapi.json")


@app.get("/openapi.json")
def openapi() -> Any:
    document = app.get_openapi_schema(title="cbxero store API", version="1").model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    oauth = json.loads(OAUTH_PART.read_text()) if OAUTH_PART.is_file() else {}
    return with_error_responses(whole_document(document, oauth))


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
