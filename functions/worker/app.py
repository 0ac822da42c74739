"""Worker function: one SQS FIFO message per customer; failures reported per message.

Each message's new orders become tasks first (a failure there fails that message alone); then
the tasks of all the batch's customers are processed together, so that Xero gets its
documents 50 to a call. Tasks stopped by a rate limit or an outage wait with a retry time,
and the dispatcher's retry sweep brings them back: the message itself is not redelivered.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from cbxero import composition
from cbxero.config import config
from cbxero.ports import Clock, SyncJob

logger = Logger()
# A failed job stops only its own reseller's group; other resellers in the batch go on.
processor = SqsFifoPartialProcessor(skip_group_on_error=True)
# A batch whose every job failed is reported item by item too, not as a failed invocation.
processor.raise_on_entire_batch_failure = False
SYNC = composition.customer_sync(config(), Clock())
QUEUE = composition.job_queue(config())
MAX_RECEIVES = config().sync_max_receives
CHECKED: list[SyncJob] = []  # this invocation's jobs whose orders became tasks


def check_one(record: SQSRecord) -> None:
    job = SyncJob.model_validate_json(record.body)
    try:
        outcome = SYNC.check_changes(job) if job.check else None
    except Exception as failure:
        if int(record.attributes.approximate_receive_count) >= MAX_RECEIVES:
            SYNC.give_up(job, f"{type(failure).__name__}: {failure}"[:300])
        raise
    CHECKED.append(job)
    if outcome is not None:
        logger.info(
            "orders checked",
            extra={
                "reseller_id": job.reseller_id,
                "customer_id": job.customer_id,
                "orders_seen": outcome.orders_seen,
                "tasks_created": outcome.tasks_created,
            },
        )


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    CHECKED.clear()
    response = process_partial_response(
        event=event, record_handler=check_one, processor=processor, context=context
    )
    if CHECKED:
        outcome = SYNC.process(CHECKED)
        if outcome.more:  # too many tasks for one run: the rest in a job of their own
            QUEUE.send([job.continued() for job in CHECKED])
        counts: dict[str, int] = {}
        for status in outcome.statuses.values():
            counts[status.value] = counts.get(status.value, 0) + 1
        logger.info("tasks processed", extra={"jobs": len(CHECKED), "statuses": counts})
    return response
