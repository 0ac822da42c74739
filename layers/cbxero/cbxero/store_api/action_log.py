"""The Action Log and the notifications drawn from it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel

from cbxero.domain.listing import LogFilter, LogPage
from cbxero.domain.model import ActionLogEntry, LogStatus
from cbxero.store_api.params import Caller, Cursor, CustomerFilter, From, Limit, To, period

if TYPE_CHECKING:
    from cbxero.services.admin import ResellerAdmin

EntryId = Annotated[str, Path(min_length=1, max_length=64)]


class MarkedRead(BaseModel):
    marked: int


def routes(admin: ResellerAdmin, caller: Caller) -> Router:
    router = Router()  # type: ignore[no-untyped-call]  # Powertools leaves it unannotated

    @router.get("/action-log")
    def action_log(
        status: Annotated[LogStatus | None, Query()] = None,
        action: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
        customer_id: CustomerFilter = None,
        at_from: From = None,
        at_to: To = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> LogPage:
        at_from, at_to = period(at_from, at_to)
        wanted = LogFilter(
            status=status,
            action=action,
            customer_id=customer_id,
            at_from=at_from,
            at_to=at_to,
            limit=limit,
            cursor=cursor,
        )
        return admin.action_log(caller.reseller(), wanted)

    @router.get("/action-log/<entryId>")
    def log_entry(entryId: EntryId) -> ActionLogEntry:
        return admin.log_entry(caller.reseller(), entryId)

    @router.get("/notifications")
    def notifications(limit: Limit = 50, cursor: Cursor = None) -> LogPage:
        return admin.notifications(caller.reseller(), limit, cursor)

    @router.post("/notifications/<entryId>/read")
    def mark_read(entryId: EntryId) -> MarkedRead:
        return MarkedRead(marked=admin.mark_read(caller.reseller(), entryId))

    @router.post("/notifications/read-all")
    def mark_all_read() -> MarkedRead:
        return MarkedRead(marked=admin.mark_read(caller.reseller(), None))

    return router
