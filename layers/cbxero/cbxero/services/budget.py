"""An organisation's Xero budget today as the store's screens show it (the dashboard, history)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from cbxero.ports import Budget


class BudgetView(BaseModel):
    """The organisation's Xero calls today (UTC): the day's limit, used and left."""

    model_config = ConfigDict(frozen=True)

    limit: int
    used: int
    left: int

    @classmethod
    def of(cls, budget: Budget | None) -> BudgetView | None:
        return (
            None if budget is None else cls(limit=budget.limit, used=budget.used, left=budget.left)
        )
