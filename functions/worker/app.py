"""Worker function: one SQS FIFO message per customer; failures reported per message.

Each message's new orders become tasks first (a failure there fails that message, and the
rest of its reseller's group); then the tasks of all the batch's customers are processed
together, so that Xero gets its documents 50 to a call. Tasks stopped by a rate limit or an
outage wait with a retry time, and the dispatcher's retry sweep brings them back: the message
itself is not redelivered. When processing fails for one reseller (the task store, the token),
its tasks are set aside with a retry time and only its messages are reported failed; the other
resellers' jobs are done. A job that fails at its last delivery goes to the dead-letter queue
with an Action Log entry; a message that is not a job is logged and dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from cbxero import composition
from cbxero.adapters.job_records import JobRecord, Unreadable, well_formed
from cbxero.adapters.problems import problem_of
from cbxero.config import WorkerConfig
from cbxero.ports import JobQueue, SyncJob

if TYPE_CHECKING:  # the sync engine's code loads with the container's parts, at the first batch
    from cbxero.services.sync import CustomerSync


logger = Logger()
# A failed job stops only its own reseller's group; other resellers in the batch go on.
processor = SqsFifoPartialProcessor(model=JobRecord, skip_group_on_error=True)
# A batch whose every job failed is reported item by item too, not as a failed invocation.
processor.raise_on_entire_batch_failure = False
SKIPPED = "not tried: an earlier job of the same reseller failed in this batch"
CONFIG = WorkerConfig.from_environ()
CONTAINER = composition.Container(CONFIG)  # its parts built at the first batch


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return handle(
        event,
        context,
        sync=CONTAINER.customer_sync,
        queue=CONTAINER.queue,
        max_receives=CONFIG.sync_max_receives,
    )


def handle(
    event: dict[str, Any],
    context: LambdaContext,
    *,
    sync: CustomerSync,
    queue: JobQueue,
    max_receives: int,
) -> PartialItemFailureResponse:
    """One batch: check each job, process the jobs checked, report the failed messages."""
    checked: list[tuple[str, SyncJob]] = []  # (message id, job) whose orders became tasks
    read: dict[str, JobRecord] = {}  # the records handed over or skipped, by message id
    problems: dict[str, str] = {}

    def check_one(record: JobRecord) -> None:
        read[record.messageId] = record
        job = record.body
        if isinstance(job, Unreadable):
            _drop(record.messageId, job, sync)  # it would hold back its group in vain
            return
        try:
            outcome = sync.check_changes(job) if job.check else None
        except Exception as failure:
            problems[record.messageId] = problem_of(failure)
            raise
        checked.append((record.messageId, job))
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

    failed_first: list[str] = []  # records SQS could not have sent, reported before the rest
    records = _well_formed(event.get("Records"), failed_first)
    with processor(records=records, handler=check_one, lambda_context=context):
        for _, _, record in processor.process():
            if isinstance(record, JobRecord):  # a failed or skipped one (not handed over)
                read.setdefault(record.messageId, record)
    failed = failed_first + [
        str(item["itemIdentifier"]) for item in processor.response()["batchItemFailures"]
    ]
    if checked:
        outcome = sync.process([job for _, job in checked])
        for message_id, job in checked:
            if job.reseller_id in outcome.failed:  # that reseller's jobs only
                failed.append(message_id)
                problems[message_id] = outcome.failed[job.reseller_id]
        if outcome.more:  # too many tasks for one run: the rest in a job of their own
            try:
                queue.send([job.continued() for _, job in checked])
            except Exception:
                logger.exception("continuation not queued: the jobs come back instead")
                failed += [m for m, _ in checked if m not in failed]
        counts: dict[str, int] = {}
        for status in outcome.statuses.values():
            counts[status.value] = counts.get(status.value, 0) + 1
        logger.info(
            "tasks processed",
            extra={"jobs": len(checked), "statuses": counts, "failed": sorted(outcome.failed)},
        )
    for message_id in failed:
        record = read.get(message_id)
        if record is None or record.attributes.ApproximateReceiveCount < max_receives:
            continue
        last = record.body
        if isinstance(last, Unreadable):  # skipped at every delivery: never read, so say so
            _drop(message_id, last, sync)
            continue
        try:  # its last delivery: the dead-letter queue, and the reseller is told
            sync.give_up(last, problems.get(message_id, SKIPPED)[:300])
        except Exception:
            logger.exception("dead-letter entry not written", extra={"job": last.dedupe_id})
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}


def _well_formed(records: object, failed: list[str]) -> list[dict[str, Any]]:
    """The records the processor can take (see `well_formed`); each other one is logged and,
    when it has a message id, reported failed (back to the queue, then the dead-letter queue and
    its alarm)."""
    taken, malformed = well_formed(records)
    for message_id, problem in malformed:
        logger.error("malformed SQS record", extra={"message_id": message_id, "problem": problem})
        if message_id:
            failed.append(message_id)
    return taken


def _drop(message_id: str, unreadable: Unreadable, sync: CustomerSync) -> None:
    """Logs a body that is not a job, in the reseller's Action Log too when it names one."""
    logger.error(
        "unreadable sync job dropped",
        extra={"message_id": message_id, **unreadable.model_dump(exclude_none=True)},
    )
    if unreadable.reseller_id:
        try:
            sync.unreadable_job(unreadable.reseller_id, unreadable.customer_id, unreadable.problem)
        except Exception:
            logger.exception(
                "unreadable job not logged", extra={"reseller_id": unreadable.reseller_id}
            )
