"""Xero events function: what Xero changed, from the events queue (one webhook event a message,
FIFO per organisation) and, on its schedule, from a poll of every organisation.

The events of a batch are read first (a message that is not an event is logged and dropped: it
could never succeed), then recorded together, so that each organisation's resources are read
from Xero in batches. An organisation whose events could not all be recorded has its messages
reported failed and delivered again, which changes nothing twice; the other organisations' are
done. The scheduled poll goes through every organisation while time is left.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from cbxero import composition
from cbxero.adapters.event_records import EventRecord
from cbxero.adapters.job_records import Unreadable, well_formed
from cbxero.config import XeroEventsConfig
from cbxero.domain.xero_events import XeroEvent

if TYPE_CHECKING:
    from cbxero.services.xero_side import XeroSideWatch

logger = Logger()
processor = SqsFifoPartialProcessor(model=EventRecord, skip_group_on_error=True)
processor.raise_on_entire_batch_failure = False
CONFIG = XeroEventsConfig.from_environ()
CONTAINER = composition.Container(CONFIG)  # its parts built at the first batch
# A poll stops taking up organisations this long before the function's time runs out.
POLL_MARGIN_MS = 20_000


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "Records" in event:
        return dict(handle(event, context, watch=CONTAINER.xero_side_watch))
    return poll(context, watch=CONTAINER.xero_side_watch)


def handle(
    event: dict[str, Any], context: LambdaContext, *, watch: XeroSideWatch
) -> PartialItemFailureResponse:
    """One batch of events: read each, record them together, report the failed messages."""
    taken: list[tuple[str, XeroEvent]] = []

    def take(record: EventRecord) -> None:
        if isinstance(record.body, Unreadable):
            logger.error(
                "unreadable Xero event dropped",
                extra={"message_id": record.messageId, "problem": record.body.problem},
            )
            return
        taken.append((record.messageId, record.body))

    failed: list[str] = []
    records, malformed = well_formed(event.get("Records"))
    for message_id, problem in malformed:
        logger.error("malformed SQS record", extra={"message_id": message_id, "problem": problem})
        if message_id:
            failed.append(message_id)
    with processor(records=records, handler=take, lambda_context=context):
        processor.process()
    failed += [str(item["itemIdentifier"]) for item in processor.response()["batchItemFailures"]]
    if taken:
        outcome = watch.reflect_events([e for _, e in taken])
        failed += [m for m, e in taken if e.tenant_id in outcome.failed_tenants]
        logger.info(
            "Xero events recorded",
            extra={
                "events": len(taken),
                "tasks_changed": outcome.tasks_changed,
                "links_changed": outcome.links_changed,
                "entries": outcome.entries,
                "ignored": outcome.ignored,
                "failed_tenants": outcome.failed_tenants,
            },
        )
    return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}


def poll(context: LambdaContext, *, watch: XeroSideWatch) -> dict[str, Any]:
    """The polling fallback: every organisation's changes since its cursor."""
    outcome = watch.poll_all(lambda: context.get_remaining_time_in_millis() > POLL_MARGIN_MS)
    summary = {
        "rows": outcome.rows,
        "tasks_changed": outcome.tasks_changed,
        "links_changed": outcome.links_changed,
        "entries": outcome.entries,
        "failed_tenants": outcome.failed_tenants,
    }
    logger.info("Xero polled", extra=summary)
    return summary
