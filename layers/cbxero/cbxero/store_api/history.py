"""The History screen: where history starts (chosen on connecting, moved by hand later) and how
the back-fill is going (tasks done and waiting, the estimate from the Xero budget)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, ConfigDict, Field

from cbxero.services.history import HistoryChosen, HistoryView
from cbxero.store_api.params import Caller

if TYPE_CHECKING:
    from cbxero.services.history import HistoryDesk


class HistoryStartBody(BaseModel):
    """The start: a date (`2026-01-31`, midnight UTC) or a date-time with its offset; not in
    the future, not more than two years back."""

    model_config = ConfigDict(extra="forbid")

    start: str = Field(alias="from", min_length=1, max_length=40, examples=["2026-01-31"])


def routes(history: HistoryDesk, caller: Caller) -> Router:
    router = Router()  # type: ignore[no-untyped-call]  # Powertools leaves it unannotated

    @router.get("/history")
    def get_history() -> HistoryView:
        return history.view(caller.reseller())

    @router.post("/history")
    def choose_start(body: HistoryStartBody) -> HistoryChosen:
        return history.choose(caller.reseller(), body.start, caller.actor())

    return router
