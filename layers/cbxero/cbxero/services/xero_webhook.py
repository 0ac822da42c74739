"""Xero's webhook deliveries, received: the signature checked, the events queued.

Xero signs each delivery's raw body (HMAC-SHA256 with the app's webhook key, base64) in
`x-xero-signature`, and judges the receiver by its status alone: 200 for a body signed right,
401 for one signed wrong (its intent-to-receive check sends both, and wants them within five
seconds), anything else is retried for up to a day. So:

- signed wrong, or not signed: 401, and nothing is read;
- signed right: each event goes onto the events queue (one message per event, deduplicated by
  the event's key), then 200. A body signed right but not a delivery we can read is logged and
  answered 200 too: only Xero holds the key, so it is Xero's body, and a retry would bring the
  same bytes back for a day and then disable the webhook; each event that can be read is kept;
- the queue refusing: 503, so that Xero delivers again (the queue drops what it already had).

Nothing here reads the key or the signature into a log line.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the pydantic models are built at the first delivery that has events
    from cbxero.domain.xero_events import XeroEvent
    from cbxero.ports import XeroEventQueue

SIGNATURE_HEADER = "x-xero-signature"


def signature_of(key: bytes, body: bytes) -> str:
    """Xero's signature of a body: base64(HMAC-SHA256(key, body))."""
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()


@dataclass(frozen=True)
class Receipt:
    """How a delivery was answered, and what was done with it (for the log)."""

    status: int
    events: int = 0  # events read from the body
    queued: int = 0  # messages the queue took
    unreadable: int = 0  # events (or a whole body) that could not be read
    problem: str = ""  # what was wrong, in words that hold nothing of the body


class WebhookReceiver:
    """Checks a delivery's signature and hands its events to the queue."""

    def __init__(self, key: Callable[[], bytes], queue: Callable[[], XeroEventQueue]) -> None:
        # Both are read when a delivery needs them: the key (a secret, cached by its reader) at
        # the first delivery, the queue at the first with events.
        self._key = key
        self._queue = queue

    def receive(self, body: bytes, signature: str | None) -> Receipt:
        if not signature or not self.signed(body, signature):
            return Receipt(401, problem="signature missing or wrong")
        events, unreadable, problem = _events_of(body)
        if not events:
            return Receipt(200, unreadable=unreadable, problem=problem)
        try:
            queued = self._queue().send(events)
        except Exception as failure:  # Xero delivers again; the queue drops duplicates by key
            return Receipt(
                503,
                events=len(events),
                unreadable=unreadable,
                problem=f"events not queued ({type(failure).__name__})",
            )
        return Receipt(200, len(events), queued, unreadable, problem)

    def signed(self, body: bytes, signature: str) -> bool:
        """The body was signed with the key (compared in constant time)."""
        expected = signature_of(self._key(), body).encode()
        return hmac.compare_digest(expected, signature.strip().encode("utf-8", "replace"))


def _events_of(body: bytes) -> tuple[list[XeroEvent], int, str]:
    """The delivery's events; each one that cannot be read is counted, not kept."""
    from pydantic import ValidationError

    from cbxero.domain.xero_events import WebhookDelivery, XeroEvent

    try:
        return _with_xero_ids(list(WebhookDelivery.model_validate_json(body).events), 0, "")
    except ValidationError:
        pass
    try:
        document: Any = json.loads(body)
    except (ValueError, RecursionError):  # nested deeper than Python reads: not a delivery
        return [], 1, "the body is not JSON"
    raw = document.get("events") if isinstance(document, dict) else None
    if not isinstance(raw, list):
        return [], 1, "the body has no list of events"
    events, unreadable = [], 0
    for item in raw:
        try:
            events.append(XeroEvent.model_validate(item))
        except ValidationError:
            unreadable += 1
    problem = f"{unreadable} event(s) not readable" if unreadable else "the envelope is not Xero's"
    return _with_xero_ids(events, unreadable, problem)


def _with_xero_ids(
    events: list[XeroEvent], unreadable: int, problem: str
) -> tuple[list[XeroEvent], int, str]:
    """Only events naming ids as Xero writes them are queued: SQS would refuse the whole
    delivery for one odd tenant id, and the events function ignores such events anyway."""
    kept = [e for e in events if e.names_xero_ids]
    odd = len(events) - len(kept)
    if not odd:
        return kept, unreadable, problem
    said = f"{odd} event(s) naming no Xero id"
    return kept, unreadable + odd, f"{problem}; {said}" if problem else said
