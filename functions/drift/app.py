"""Drift function: hourly, the daily drift report of each reseller not yet checked today. A door
over DriftSweep."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from cbxero import composition
from cbxero.adapters.problems import problem_of
from cbxero.config import DriftConfig

logger = Logger()
CONTAINER = composition.Container(DriftConfig.from_environ())
SWEEP = CONTAINER.drift_sweep


def _failed(reseller_id: str, error: Exception) -> None:
    logger.warning(
        "drift report failed", extra={"reseller_id": reseller_id, "problem": problem_of(error)}
    )


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    del event  # the schedule's input says only that it is the drift run
    tally = SWEEP.run(context.get_remaining_time_in_millis, failed=_failed)
    logger.info("drift run", extra=tally)
    return tally
