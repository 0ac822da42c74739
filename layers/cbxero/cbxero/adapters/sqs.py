"""The sync job queue on SQS FIFO: reseller as message group, one job per customer and slot."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cbxero.ports import JobQueue, SyncJob

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

SQS_BATCH = 10


class SqsJobQueue(JobQueue):
    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def send(self, jobs: Sequence[SyncJob]) -> int:
        sent = 0
        for start in range(0, len(jobs), SQS_BATCH):
            entries: list[SendMessageBatchRequestEntryTypeDef] = [
                {
                    "Id": str(n),
                    "MessageBody": job.model_dump_json(),
                    # One Xero organisation is synced by one worker at a time.
                    "MessageGroupId": job.reseller_id,
                    "MessageDeduplicationId": job.dedupe_id,
                }
                for n, job in enumerate(jobs[start : start + SQS_BATCH])
            ]
            response = self._client.send_message_batch(QueueUrl=self._url, Entries=entries)
            failed = response.get("Failed") or []
            if failed:
                raise RuntimeError(f"SQS refused {len(failed)} job(s): {failed[0].get('Code')}")
            sent += len(response.get("Successful") or [])
        return sent
