"""Worker function: one SQS FIFO message per customer; failures reported per message."""

from __future__ import annotations

import math
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from cbxero import composition
from cbxero.config import config
from cbxero.domain.errors import NotConnected, RateLimited
from cbxero.ports import Clock, SyncJob

logger = Logger()
# A failed job stops only its own reseller's group; other resellers in the batch go on.
processor = SqsFifoPartialProcessor(skip_group_on_error=True)
# A batch whose every job failed (say, one reseller paused by Xero) is reported item by item too,
# not as a failed invocation: the jobs come back when due and no error alarm is raised.
processor.raise_on_entire_batch_failure = False
SYNC = composition.customer_sync(config(), Clock())
QUEUE = composition.job_queue(config())
MAX_RECEIVES = config().sync_max_receives


def sync_one(record: SQSRecord) -> None:
    job = SyncJob.model_validate_json(record.body)
    logger.append_keys(reseller_id=job.reseller_id, customer_id=job.customer_id)
    try:
        outcome = SYNC.run(job)
    except NotConnected as paused:
        # Tasks stay open and are picked up once the reseller reconnects; nothing is lost.
        logger.warning("sync paused", extra={"reason": paused.code})
        return
    except RateLimited as limited:
        # Hidden until Xero's limit has passed, then redelivered; reported as a failed item.
        QUEUE.delay(record.receipt_handle, math.ceil(limited.retry_after))
        logger.warning("rate limited", extra={"retry_after": limited.retry_after})
        raise
    except Exception as failure:
        if int(record.attributes.approximate_receive_count) >= MAX_RECEIVES:
            SYNC.give_up(job, f"{type(failure).__name__}: {failure}"[:300])
        raise
    logger.info(
        "customer synced",
        extra={
            "orders_seen": outcome.orders_seen,
            "tasks_created": outcome.tasks_created,
            "statuses": {k: v.value for k, v in outcome.statuses.items()},
        },
    )


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=sync_one, processor=processor, context=context
    )
