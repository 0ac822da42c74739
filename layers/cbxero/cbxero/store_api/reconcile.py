"""The reconcile screen: the drift report for a period and its repairs; and the dashboard."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, ConfigDict, Field

from cbxero.domain.drift import Repair
from cbxero.services.dashboard import Dashboard
from cbxero.services.drift_report import DriftReport, checked_period
from cbxero.services.reconcile import RepairDone, RepairRequest
from cbxero.store_api.params import Caller, From, Moment, To, period

if TYPE_CHECKING:
    from cbxero.services.dashboard import DashboardDesk
    from cbxero.services.reconcile import DriftDesk

# A difference's key: its kind and the ids it concerns ("document_voided:1001").
DIFFERENCE_KEY = r"^[a-z_]{1,40}(:[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}){1,3}$"
XERO_ID = r"^[A-Za-z0-9][A-Za-z0-9\-]{0,63}$"


class RepairBody(BaseModel):
    """One repair of a difference the report listed for the period."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    start: Moment = Field(alias="from", description="The report's period, as read.")
    end: Moment = Field(alias="to")
    key: str = Field(pattern=DIFFERENCE_KEY, max_length=200)
    action: Repair
    contact_id: str | None = Field(
        None,
        pattern=XERO_ID,
        description="remap: the customer's new contact (default: the merge survivor, unless "
        "another customer is mapped to it).",
    )
    item_code: str | None = Field(None, min_length=1, max_length=30, description="remap: the item")
    reason: str | None = Field(None, min_length=1, max_length=500, description="ignore: why")


def routes(drift: DriftDesk, dashboard: DashboardDesk, caller: Caller) -> Router:
    router = Router()  # type: ignore[no-untyped-call]  # Powertools leaves it unannotated

    @router.get("/reconcile")
    def reconcile(start: From = None, end: To = None) -> DriftReport:
        given_start, given_end = period(start, end)
        start, end = checked_period(given_start, given_end)
        return drift.report(caller.reseller(), start, end)

    @router.post("/reconcile/repairs")
    def repair(body: RepairBody) -> RepairDone:
        given_start, given_end = period(body.start, body.end)
        start, end = checked_period(given_start, given_end)
        request = RepairRequest(
            start=start,
            end=end,
            key=body.key,
            action=body.action,
            contact_id=body.contact_id,
            item_code=body.item_code,
            reason=body.reason,
        )
        return drift.repair(caller.reseller(), request, caller.actor())

    @router.get("/dashboard")
    def get_dashboard() -> Dashboard:
        return dashboard.view(caller.reseller())

    return router
