"""The worker's door: messages parsed by the batch processor's model, bodies that are not jobs
dropped (never failed), failures reported per message."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from cbxero.config import WorkerConfig
from cbxero.domain.errors import UpstreamUnavailable
from cbxero.ports import SyncJob
from local.invoke import LambdaContext, _environment

# The worker validates its config at cold start: placeholders (the tests hand `handle` its parts).
with _environment(
    {
        n.upper(): "https://unused.example"
        for n, f in WorkerConfig.model_fields.items()
        if f.is_required()
    }
):
    from functions.worker import app as worker

MAX_RECEIVES = 5


class StubSync:
    """The parts of CustomerSync the door calls; checking a customer in `failing` fails."""

    def __init__(self, failing: frozenset[str] = frozenset()) -> None:
        self.failing = failing
        self.processed: list[SyncJob] = []
        self.given_up: list[tuple[SyncJob, str]] = []
        self.unreadable: list[tuple[str, str | None, str]] = []

    def check_changes(self, job: SyncJob) -> None:
        if job.customer_id in self.failing:
            raise UpstreamUnavailable("the marketplace answered 503")

    def process(self, jobs: list[SyncJob]) -> Any:
        self.processed += jobs
        return SimpleNamespace(failed={}, more=False, statuses={})

    def give_up(self, job: SyncJob, problem: str) -> None:
        self.given_up.append((job, problem))

    def unreadable_job(self, reseller_id: str, customer_id: str | None, problem: str) -> None:
        self.unreadable.append((reseller_id, customer_id, problem))


def job(reseller_id: str, customer_id: str) -> str:
    return SyncJob(reseller_id=reseller_id, customer_id=customer_id, slot="s").model_dump_json()


def batch(*messages: tuple[str, str], receives: int = 1) -> dict[str, Any]:
    """An SQS FIFO event of (body, message group) pairs, message ids m1, m2, ..."""
    return {
        "Records": [
            {
                "messageId": f"m{n}",
                "receiptHandle": f"m{n}",
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": str(receives),
                    "SentTimestamp": "1795608000000",
                    "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                    "ApproximateFirstReceiveTimestamp": "1795608000001",
                    "MessageGroupId": group,
                    "MessageDeduplicationId": f"m{n}",
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:cbxero-sync.fifo",
                "awsRegion": "us-east-1",
            }
            for n, (body, group) in enumerate(messages, start=1)
        ]
    }


def handle(event: dict[str, Any], sync: StubSync) -> list[str]:
    result = worker.handle(
        event,
        LambdaContext("WorkerFunction"),  # type: ignore[arg-type]
        sync=sync,  # type: ignore[arg-type]
        queue=None,  # type: ignore[arg-type]
        max_receives=MAX_RECEIVES,
    )
    return [str(item["itemIdentifier"]) for item in result["batchItemFailures"]]


def test_a_body_that_is_not_a_job_is_dropped_and_the_reseller_it_names_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    logged: list[dict[str, Any]] = []
    monkeypatch.setattr(worker.logger, "error", lambda msg, extra: logged.append(extra))
    sync = StubSync()
    pill = json.dumps({"reseller_id": "r-1", "customer_id": "c-9", "slot": 5})
    assert (
        handle(batch((pill, "r-1"), ("{not json", "r-2"), (job("r-1", "c-1"), "r-1")), sync) == []
    )
    ((reseller, customer, problem),) = sync.unreadable
    assert (reseller, customer) == ("r-1", "c-9")
    assert problem == "slot: Input should be a valid string"
    assert [(e["message_id"], e.get("reseller_id")) for e in logged] == [
        ("m1", "r-1"),
        ("m2", None),
    ]
    assert logged[1]["problem"].startswith("body: Invalid JSON")
    assert [j.customer_id for j in sync.processed] == ["c-1"]  # its group goes on


def test_a_body_that_is_not_a_job_behind_a_failed_job_of_its_group_is_skipped_not_a_crash() -> None:
    # A plain Json[SyncJob] body in the processor's model would raise here, failing the batch:
    # the FIFO processor validates a skipped record without catching its validation error.
    sync = StubSync(failing=frozenset({"c-1"}))
    event = batch(
        (job("r-1", "c-1"), "r-1"),
        ("{not json", "r-1"),
        (job("r-1", "c-2"), "r-1"),
        (job("r-2", "c-3"), "r-2"),
        receives=MAX_RECEIVES,
    )
    assert handle(event, sync) == ["m1", "m2", "m3"]
    assert [j.customer_id for j in sync.processed] == ["c-3"]
    # At their last delivery the jobs go to the dead-letter queue with an entry, the skipped
    # one too; the unreadable body is dropped when it is read, never given up.
    assert [(j.customer_id, problem[:20]) for j, problem in sync.given_up] == [
        ("c-1", "the marketplace answ"),
        ("c-2", "not tried: an earlie"),
    ]
    assert sync.unreadable == []


def test_a_body_nested_too_deep_to_read_is_dropped_not_a_crash_of_the_batch() -> None:
    # Found by the attack of 2026-11-27: `_readable`'s json.loads raised RecursionError out of
    # the record model, the processor registered a failure without a record, and the whole
    # batch crashed ('NoneType' object has no attribute 'message_id').
    sync = StubSync()
    deep = "[" * 10_000 + "]" * 10_000
    nested = '{"reseller_id": "r-1", "x": ' + "[" * 10_000 + "]" * 10_000 + "}"
    event = batch((deep, "r-1"), (nested, "r-1"), (job("r-1", "c-1"), "r-1"))
    assert handle(event, sync) == []
    assert [j.customer_id for j in sync.processed] == ["c-1"]


def malformed(record: dict[str, Any], damage: str) -> None:
    """Breaks one record's envelope (what SQS itself sets) in the named way."""
    if damage == "no attributes":
        del record["attributes"]
    elif damage == "receive count not a number":
        record["attributes"]["ApproximateReceiveCount"] = "abc"
    elif damage == "no body":
        del record["body"]
    elif damage == "no message id":
        del record["messageId"]


@pytest.mark.parametrize(
    "damage", ["no attributes", "receive count not a number", "no body", "no message id"]
)
@pytest.mark.parametrize("first_fails", [False, True])
def test_a_record_sqs_could_not_have_sent_fails_alone_never_the_batch(
    damage: str, first_fails: bool
) -> None:
    # Found by the attack of 2026-11-27: each of these crashed the whole batch when the job
    # before it in its group failed (the FIFO processor validates a skipped record without
    # catching), or at the last delivery (int("abc")), or always (no message id).
    sync = StubSync(failing=frozenset({"c-1"} if first_fails else set()))
    event = batch(
        (job("r-1", "c-1"), "r-1"),
        (job("r-1", "c-2"), "r-1"),
        (job("r-2", "c-3"), "r-2"),
        receives=MAX_RECEIVES,
    )
    malformed(event["Records"][1], damage)
    failed = handle(event, sync)
    assert "c-3" in [j.customer_id for j in sync.processed]  # the other reseller goes on
    assert ("m1" in failed) == first_fails
    if damage != "no message id":  # it cannot be named; it is logged
        assert "m2" in failed  # never dropped in silence: back to the queue, then the DLQ


@pytest.mark.parametrize("receives", [MAX_RECEIVES - 1, MAX_RECEIVES, MAX_RECEIVES + 3, 10_000])
def test_a_failed_job_at_or_past_its_last_delivery_is_given_up_with_an_entry(receives: int) -> None:
    sync = StubSync(failing=frozenset({"c-1"}))
    event = batch(
        (job("r-1", "c-1"), "r-1"),
        ("[1, 2]", "r-1"),  # a JSON array behind the failed job: dropped when read, or skipped
        (job("r-1", "c-2"), "r-1"),
        receives=receives,
    )
    assert handle(event, sync) == ["m1", "m2", "m3"]
    given_up = [j.customer_id for j, _ in sync.given_up]
    assert given_up == (["c-1", "c-2"] if receives >= MAX_RECEIVES else [])


def test_an_unreadable_body_skipped_at_its_last_delivery_is_logged_as_it_goes_to_the_dlq(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Found by the attack of 2026-11-27: skipped behind a failed job of its group at every
    # delivery, such a body reached the dead-letter queue with no line naming it (the drop is
    # logged only when the body is read, which a skipped record never is).
    logged: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(worker.logger, "error", lambda msg, extra: logged.append((msg, extra)))
    sync = StubSync(failing=frozenset({"c-1"}))
    pill = json.dumps({"reseller_id": "r-1", "customer_id": 7})
    event = batch((job("r-1", "c-1"), "r-1"), (pill, "r-1"), receives=MAX_RECEIVES)
    assert handle(event, sync) == ["m1", "m2"]
    assert [(e["message_id"], e.get("reseller_id")) for _, e in logged] == [("m2", "r-1")]
    assert [r for r, _, _ in sync.unreadable] == ["r-1"]  # and the reseller is told


@pytest.mark.parametrize(
    "damage",
    [
        {"reseller_id": "r" * 5_000},
        {"reseller_id": "r-1\x00"},
        {"customer_id": "../orders"},
        {"customer_id": "%2e%2e"},
        {"customer_id": "c\u00e9"},
        {"task_ids": ["1", "../2"]},
    ],
)
def test_a_job_naming_an_id_no_marketplace_id_looks_like_is_dropped_as_unreadable(
    damage: dict[str, Any],
) -> None:
    # Found by the attack of 2026-11-27: such a job was processed (a 5,000-character reseller is
    # a key DynamoDB refuses: it failed at every delivery, then the dead-letter entry failed too).
    sync = StubSync()
    body = json.dumps({"reseller_id": "r-1", "customer_id": "c-1", "slot": "s", **damage})
    assert handle(batch((body, "r-1"), (job("r-1", "c-2"), "r-1")), sync) == []
    assert [j.customer_id for j in sync.processed] == ["c-2"]
    # Told in the Action Log of the reseller it names only when that is a reseller's id.
    named = "reseller_id" not in damage
    assert [r for r, _, _ in sync.unreadable] == (["r-1"] if named else [])
