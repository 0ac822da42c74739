"""The task list's query and page (the store's task screen), apart from the ports so that
functions that never list tasks do not build them at start."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from cbxero.domain.marketplace import OrderType
from cbxero.domain.model import SyncTask, TaskStatus


class TaskFilter(BaseModel):
    """The task list's filters; `cursor` continues a previous page."""

    model_config = ConfigDict(frozen=True)

    status: TaskStatus | None = None
    order_type: OrderType | None = None
    customer_id: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    limit: int = 50
    cursor: str | None = None


class TaskPage(BaseModel):
    model_config = ConfigDict(frozen=True)

    items: list[SyncTask]
    next_cursor: str | None = None
