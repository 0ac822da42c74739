"""The store's lists (tasks, the Action Log): their filters and pages, apart from the ports so
that functions that never list anything do not build them at start."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from cbxero.domain.marketplace import OrderType
from cbxero.domain.model import ActionLogEntry, LogStatus, SyncTask, TaskStatus


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


class LogFilter(BaseModel):
    """The Action Log's filters; `cursor` continues a previous page."""

    model_config = ConfigDict(frozen=True)

    status: LogStatus | None = None
    action: str | None = None
    customer_id: str | None = None
    at_from: datetime | None = None
    at_to: datetime | None = None
    unread_only: bool = False
    problems_only: bool = False  # errors and actions required only
    others_since: datetime | None = None  # entries that are no problem: only from this time
    limit: int = 50
    cursor: str | None = None


class LogPage(BaseModel):
    model_config = ConfigDict(frozen=True)

    items: list[ActionLogEntry]
    next_cursor: str | None = None
