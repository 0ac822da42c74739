"""The queues on SQS FIFO: sync jobs (reseller as message group, one job per customer and slot)
and Xero's changes (organisation as message group, one message per event)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cbxero.ports import JobQueue, SyncJob, XeroEventQueue

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

    from cbxero.domain.xero_events import XeroEvent

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


class SqsXeroEventQueue(XeroEventQueue):
    """Xero's changes on SQS FIFO: one message per event, the organisation as message group,
    the event's key as deduplication id, the body the event as the spec names its fields."""

    def __init__(self, client: SQSClient, queue_url: str, attempts: int = 3) -> None:
        self._client = client
        self._url = queue_url
        self._attempts = attempts

    def send(self, events: Sequence[XeroEvent]) -> int:
        sent = 0
        for start in range(0, len(events), SQS_BATCH):
            entries: dict[str, SendMessageBatchRequestEntryTypeDef] = {
                str(n): {
                    "Id": str(n),
                    "MessageBody": event.model_dump_json(by_alias=True),
                    "MessageGroupId": event.tenant_id,
                    "MessageDeduplicationId": event.key,
                }
                for n, event in enumerate(events[start : start + SQS_BATCH])
            }
            code = ""
            for _ in range(self._attempts):  # only the entries SQS refused are sent again
                response = self._client.send_message_batch(
                    QueueUrl=self._url, Entries=list(entries.values())
                )
                sent += len(response.get("Successful") or [])
                failed = response.get("Failed") or []
                entries = {f["Id"]: entries[f["Id"]] for f in failed}
                code = failed[0].get("Code", "") if failed else ""
                if not entries:
                    break
            else:
                raise RuntimeError(f"SQS refused {len(entries)} event(s): {code}")
        return sent
