"""The sync queue's messages as the worker reads them: each SQS record a `JobRecord`, whose body
is a `SyncJob` or, for a body that is not one, an `Unreadable` saying why and whom it names."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from aws_lambda_powertools.utilities.parser.models import SqsAttributesModel, SqsRecordModel
from pydantic import BaseModel, BeforeValidator, ValidationError

from cbxero.domain.marketplace import MARKETPLACE_ID_PATTERN
from cbxero.ports import SyncJob


class Unreadable(BaseModel):
    """A message body that is not a sync job: why, and whom it names when that can be read."""

    problem: str
    reseller_id: str | None = None
    customer_id: str | None = None


def _job_or_unreadable(body: str | bytes) -> SyncJob | Unreadable:
    try:
        return SyncJob.model_validate_json(body)
    except ValidationError as invalid:
        return Unreadable(problem=_problems(invalid), **_readable(body))


class JobAttributes(SqsAttributesModel):
    """SQS's attributes, the delivery count read as the number it is."""

    ApproximateReceiveCount: int  # type: ignore[assignment]


class JobRecord(SqsRecordModel):
    """A sync queue message as the processor hands it over. A body that is not a job still
    makes a record (as Unreadable), so that the door drops it: it could never succeed, failing
    it would hold back its group, and a record failing validation in a group already failed
    makes the FIFO processor raise for the whole batch."""

    body: Annotated[SyncJob | Unreadable, BeforeValidator(_job_or_unreadable)]
    attributes: JobAttributes


def well_formed(records: object) -> tuple[list[dict[str, Any]], list[tuple[str | None, str]]]:
    """The records a batch processor can take, each a whole SQS message (`JobRecord`), and
    the others as (message id if any, problem). SQS never sends another, but one that is not
    (no body, no attributes, a delivery count that is no number) must not reach Powertools'
    FIFO processor, which raises for the whole batch when such a record follows a failed one
    of its group."""
    taken: list[dict[str, Any]] = []
    malformed: list[tuple[str | None, str]] = []
    for record in records if isinstance(records, list) else []:
        try:
            JobRecord.model_validate(record)
        except ValidationError as invalid:
            message_id = record.get("messageId") if isinstance(record, dict) else None
            malformed.append(
                (
                    message_id if isinstance(message_id, str) and message_id else None,
                    _problems(invalid),
                )
            )
            continue
        taken.append(record)
    return taken, malformed


def _problems(invalid: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'body'}: {error['msg']}"
        for error in invalid.errors(include_input=False, include_url=False)[:5]
    )[:300]


problems_of = _problems  # the events queue's records say their problems the same way

_AN_ID = re.compile(MARKETPLACE_ID_PATTERN.strip("^$"))


def _readable(body: str | bytes) -> dict[str, str]:
    """The reseller and customer a broken body names, when they are marketplace ids."""
    try:
        document = json.loads(body)
    except (TypeError, ValueError, RecursionError):  # nested deeper than Python reads
        return {}
    if not isinstance(document, dict):
        return {}
    return {
        name: value
        for name in ("reseller_id", "customer_id")
        if isinstance(value := document.get(name), str) and _AN_ID.fullmatch(value)
    }
