"""Dispatcher function: on each schedule, one sync job per due customer. A door over Dispatcher."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from cbxero import composition
from cbxero.config import DispatcherConfig
from cbxero.domain.settings import AutoSync
from cbxero.ports import Clock
from cbxero.services.dispatch import DispatchCursor

logger = Logger()
CLOCK = Clock()
CONTAINER = composition.Container(DispatcherConfig.from_environ())
DISPATCHER = CONTAINER.dispatcher
CONTINUE = CONTAINER.continuation


class ScheduleInput(BaseModel):
    """The Input of the EventBridge Scheduler schedules in template.yaml, or of a continuation."""

    frequency: AutoSync
    resume: DispatchCursor | None = None


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    schedule = parse(event=event, model=ScheduleInput)
    report = DISPATCHER.dispatch(
        schedule.frequency,
        CLOCK.now(),
        time_left_ms=context.get_remaining_time_in_millis,
        cursor=schedule.resume,
    )
    if report.skipped_reconnect:
        logger.warning(
            "resellers skipped until they reconnect Xero",
            extra={"resellers": report.skipped_reconnect[:100]},
        )
    if report.resume is not None:
        # Out of time: the rest goes to another invocation of this function, from the cursor.
        CONTINUE(
            context.invoked_function_arn,
            {"frequency": schedule.frequency.value, "resume": report.resume.model_dump()},
        )
    logger.info(
        "dispatched",
        extra={"resellers": report.resellers, "jobs": report.jobs, "retry_jobs": report.retry_jobs},
    )
    return {
        "frequency": schedule.frequency.value,
        "resellers": report.resellers,
        "jobs": report.jobs,
        "retry_jobs": report.retry_jobs,
        "continued": report.resume is not None,
    }
