"""Xero's answer shapes (envelopes, batch results, problems) and its date and money formats."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import Response, jsonify, request

CENT = Decimal("0.01")


def money(value: Decimal) -> float:
    return float(value.quantize(CENT, ROUND_HALF_UP))


def ms_date(day: date) -> str:
    stamp = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
    return f"/Date({stamp}+0000)/"


def ms_time(at: datetime) -> str:
    return f"/Date({int(at.timestamp() * 1000)}+0000)/"


def parse_date(value: str) -> date:
    """Xero takes "2026-11-25", "2026-11-25T00:00:00" and its own "/Date(1795564800000+0000)/"."""
    found = re.fullmatch(r"/Date\((-?\d+)([+-]\d{4})?\)/", value)
    if found:
        return datetime.fromtimestamp(int(found.group(1)) / 1000, tz=UTC).date()
    return date.fromisoformat(value[:10])


def problem(status: int, kind: str, message: str) -> Response:
    body = {"ErrorNumber": 10 if status == 400 else status, "Type": kind, "Message": message}
    return Response(json.dumps(body), status=status, mimetype="application/json")


def forbidden() -> Response:
    """Xero's answer when xero-tenant-id names an organisation the token may not use (missing,
    wrong, or disconnected by the user in Xero): an RFC 7807 problem, as in Xero's docs."""
    body = {
        "Type": None,
        "Title": "Forbidden",
        "Status": 403,
        "Detail": "AuthenticationUnsuccessful",
        "Instance": str(uuid.uuid4()),
    }
    return Response(json.dumps(body), status=403, mimetype="application/json")


def oauth_error(error: str, status: int = 400) -> Response:
    return Response(json.dumps({"error": error}), status=status, mimetype="application/json")


def envelope(name: str, rows: list[dict[str, Any]]) -> Response:
    return jsonify(
        {
            "Id": str(uuid.uuid4()),
            "Status": "OK",
            "ProviderName": "cbxero",
            "DateTimeUTC": ms_date(datetime.now(UTC).date()),
            name: rows,
        }
    )


def with_errors(document: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    if errors:
        document.update(
            HasErrors=True,
            StatusAttributeString="ERROR",
            ValidationErrors=[{"Message": message} for message in errors],
        )
    return document


def validation_failure(message: str) -> dict[str, Any]:
    return {"ErrorNumber": 10, "Type": "ValidationException", "Message": message}


def batch_result(name: str, results: list[dict[str, Any]]) -> tuple[int, Any]:
    """With summarizeErrors=false every document comes back with its own errors (200);
    otherwise any error fails the whole request with Xero's ValidationException (400)."""
    summarize = request.args.get("summarizeErrors", "true").lower() != "false"
    failed = [r for r in results if r.get("HasErrors")]
    if summarize and failed:
        return 400, {
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": "A validation exception occurred",
            "Elements": failed,
        }
    return 200, {"Id": str(uuid.uuid4()), "Status": "OK", name: results}


def documents_of(name: str) -> list[dict[str, Any]] | Response:
    """The body's documents, `{"<Collection>": [{...}, ...]}`; anything else is Xero's 400."""
    body = request.get_json(silent=True)
    documents = body.get(name) if isinstance(body, dict) else None
    if not isinstance(documents, list) or not all(isinstance(d, dict) for d in documents):
        return problem(400, "ValidationException", f"The request body must carry {name}")
    return documents
