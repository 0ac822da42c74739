"""What the store API's routers share: the caller, the list parameters and the period check."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BeforeValidator

from cbxero.domain.errors import InvalidInput
from cbxero.domain.marketplace import MARKETPLACE_ID_PATTERN
from cbxero.http import actor_of, reseller_of


@dataclass(frozen=True)
class Caller:
    """Who is calling, read from the current request's JWT (checked by the API's authorizer)."""

    app: APIGatewayHttpResolver
    reseller_claim: str

    def reseller(self) -> str:
        return reseller_of(self.app, self.reseller_claim)

    def actor(self) -> str:
        return actor_of(self.app)


_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
    r"([Zz]|[+-][0-9]{2}:?[0-9]{2})?",
    re.ASCII,
)


def _rfc3339(value: object) -> object:
    # pydantic would also take a number (seconds since 1970) or a bare date: not a date-time.
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError("a date-time such as 2026-01-31T09:00:00Z")
    return value


Moment = Annotated[datetime, BeforeValidator(_rfc3339)]
From = Annotated[Moment | None, Query(alias="from")]
To = Annotated[Moment | None, Query(alias="to")]
Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(min_length=1, max_length=2000)]
CustomerFilter = Annotated[
    str | None, Query(min_length=1, max_length=64, pattern=MARKETPLACE_ID_PATTERN)
]


def _aware(moment: datetime | None, name: str) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise InvalidInput("give a time zone (say, Z)", field=name)
    try:  # 0001-01-01T00:00+01:00 is a time before year 1 in UTC, which Python cannot hold
        return moment.astimezone(UTC)
    except OverflowError:
        raise InvalidInput("out of range once in UTC", field=name) from None


def period(start: datetime | None, end: datetime | None) -> tuple[datetime | None, ...]:
    """A from/to pair, both with a time zone, from no later than to."""
    start, end = _aware(start, "from"), _aware(end, "to")
    if start is not None and end is not None and start > end:
        raise InvalidInput("from is later than to", field="from")
    return start, end
