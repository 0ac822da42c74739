"""Dispatcher function: on each schedule, one sync job per due customer. A door over Dispatcher."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from cbxero import composition
from cbxero.config import config
from cbxero.domain.settings import AutoSync
from cbxero.ports import Clock

logger = Logger()
CLOCK = Clock()
DISPATCHER = composition.dispatcher(config())


class ScheduleInput(BaseModel):
    """The Input of the EventBridge Scheduler schedules in template.yaml."""

    frequency: AutoSync


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    schedule = parse(event=event, model=ScheduleInput)
    report = DISPATCHER.dispatch(schedule.frequency, CLOCK.now())
    logger.info("dispatched", extra={"resellers": report.resellers, "jobs": report.jobs})
    return {
        "frequency": schedule.frequency.value,
        "resellers": report.resellers,
        "jobs": report.jobs,
    }
