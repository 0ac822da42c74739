"""The Xero events queue's messages as the events function reads them: each SQS record an
`EventRecord`, whose body is one `XeroEvent` (camelCase JSON, as the webhook receiver and the
spec write it) or, for a body that is not one, an `Unreadable` saying why."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import BeforeValidator, ValidationError

from cbxero.adapters.job_records import JobAttributes, Unreadable, problems_of
from cbxero.domain.xero_events import XeroEvent


def _event_or_unreadable(body: str | bytes) -> XeroEvent | Unreadable:
    try:
        return XeroEvent.model_validate_json(body)
    except ValidationError as invalid:
        return Unreadable(problem=problems_of(invalid))


class EventRecord(SqsRecordModel):
    """An events queue message as the processor hands it over; a body that is not an event
    still makes a record, so that the door drops it (it could never succeed, and failing it
    would hold back its organisation's group)."""

    body: Annotated[XeroEvent | Unreadable, BeforeValidator(_event_or_unreadable)]
    attributes: JobAttributes
