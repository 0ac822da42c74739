"""Xero's webhooks: what changed in an organisation, signed and delivered to a configured URL.

Each create or update of a contact, invoice or credit note queues an event (the spec's fields;
a credit note's carries its Type and Status in `data`), once a delivery URL and key are
configured, as on Xero's developer portal. `deliver()` sends what is queued in batches (with
firstEventSequence, lastEventSequence and entropy), each body signed with base64(HMAC-SHA256);
a batch answered with anything but 2xx is tried again, up to `max_attempts`, then given up
(Xero retries for a day, then disables the webhook: the polling fallback must find the rest).
Faults for tests, one per batch, taken in order from `faults`: "bad_signature" (every try of the
batch signed with another key), "drop" (never sent), "duplicate" (sent twice), "reorder" (its
events reversed and the batch sent after the others), "pass" (as is). `intent_to_receive()` is
the portal's check: one body signed right, one signed wrong; the receiver passes on 200 then 401.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import string
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:
    from local.xero_emulator.state import Organisation

CATEGORIES = {"Contacts": "CONTACT", "Invoices": "INVOICE", "CreditNotes": "CREDITNOTE"}
ID_FIELDS = {"Contacts": "ContactID", "Invoices": "InvoiceID", "CreditNotes": "CreditNoteID"}
FAULTS = {"bad_signature", "drop", "duplicate", "reorder", "pass"}  # "pass": this batch as is
API = "https://api.xero.com/api.xro/2.0"


def sign(key: str, body: bytes) -> str:
    """Xero's x-xero-signature: base64(HMAC-SHA256(webhook key, raw body))."""
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def event_time(moment: datetime) -> str:
    """eventDateUtc as Xero writes it: UTC, milliseconds, no offset."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def _entropy() -> str:
    return "".join(secrets.choice(string.ascii_uppercase) for _ in range(20))


@dataclass(frozen=True)
class Post:
    """One POST made to the delivery URL, and how it was answered (None: no answer)."""

    body: bytes
    signed_right: bool
    status: int | None


@dataclass
class DeliveryReport:
    batches: int = 0  # batches made from the queued events
    delivered: int = 0  # batches answered 2xx
    given_up: int = 0  # batches still refused after max_attempts
    dropped: int = 0  # batches never sent (the "drop" fault)
    posts: int = 0  # POSTs made, retries and duplicates included
    events: int = 0  # events in the batches delivered


@dataclass(frozen=True)
class IntentCheck:
    signed_right: int | None  # the receiver's status for the body signed right
    signed_wrong: int | None

    @property
    def passed(self) -> bool:
        return self.signed_right == 200 and self.signed_wrong == 401


@dataclass
class Webhooks:
    clock: Callable[[], datetime]
    lock: threading.RLock = field(default_factory=threading.RLock)  # the emulator's own
    url: str | None = None
    key: str | None = None
    batch_size: int = 10
    max_attempts: int = 3
    timeout: float = 5.0  # Xero's limit for an answer
    pending: list[dict[str, Any]] = field(default_factory=list)
    faults: deque[str] = field(default_factory=deque)
    posts: list[Post] = field(default_factory=list)
    given_up: list[dict[str, Any]] = field(default_factory=list)  # events never acknowledged
    dropped: list[dict[str, Any]] = field(default_factory=list)  # events never sent
    sequence: int = 0

    def configure(self, url: str, key: str) -> None:
        """The delivery URL and signing key, as set on Xero's developer portal."""
        self.url, self.key = url, key

    def changed(
        self, org: Organisation, collection: str, document: dict[str, Any], *, created: bool
    ) -> None:
        """A contact, invoice or credit note of `org` was created or updated: queue its event.
        The emulator's write paths (and a user's actions by hand) call this."""
        if self.url is None or collection not in CATEGORIES:
            return
        resource_id = str(document[ID_FIELDS[collection]])
        with self.lock:
            self.sequence += 1
            sequence = self.sequence
        event: dict[str, Any] = {
            "resourceUrl": f"{API}/{collection}/{resource_id}",
            "resourceId": resource_id,
            "eventDateUtc": event_time(self.clock()),
            "eventType": "CREATE" if created else "UPDATE",
            "eventCategory": CATEGORIES[collection],
            "tenantId": org.tenant_id,
            "tenantType": "ORGANISATION",
        }
        if collection == "CreditNotes":
            event["data"] = {"Type": document.get("Type"), "Status": document.get("Status")}
        with self.lock:
            self.pending.append({"sequence": sequence, "event": event})

    def deliver(self) -> DeliveryReport:
        """Sends what is queued, batch by batch, with the faults queued for tests."""
        unknown = sorted(set(self.faults) - FAULTS)
        if unknown:
            raise ValueError(f"no such webhook fault: {unknown} (one of {sorted(FAULTS)})")
        report = DeliveryReport()
        with self.lock:
            queued, self.pending = self.pending, []
        batches = [queued[n : n + self.batch_size] for n in range(0, len(queued), self.batch_size)]
        plan: list[tuple[list[dict[str, Any]], str | None]] = []
        held: list[tuple[list[dict[str, Any]], str | None]] = []
        for batch in batches:
            fault = self.faults.popleft() if self.faults else None
            if fault == "reorder":
                held.append((list(reversed(batch)), fault))
            else:
                plan.append((batch, fault))
        report.batches = len(batches)
        for batch, fault in plan + held:
            events = [item["event"] for item in batch]
            if fault == "drop":
                report.dropped += 1
                self.dropped += events
                continue
            body = self.body(batch)
            for _ in range(2 if fault == "duplicate" else 1):
                if self._send(body, report, bad_signature=fault == "bad_signature"):
                    report.delivered += 1
                    report.events += len(events)
                else:
                    report.given_up += 1
                    self.given_up += events
                    break
        return report

    def body(self, batch: list[dict[str, Any]]) -> bytes:
        sequences = [item["sequence"] for item in batch]
        payload = {
            "events": [item["event"] for item in batch],
            "firstEventSequence": min(sequences),
            "lastEventSequence": max(sequences),
            "entropy": _entropy(),
        }
        return json.dumps(payload, separators=(",", ":")).encode()

    def _send(self, body: bytes, report: DeliveryReport, *, bad_signature: bool) -> bool:
        for _ in range(self.max_attempts):
            report.posts += 1
            status = self.post(body, signed_right=not bad_signature)
            if status is not None and 200 <= status < 300:
                return True
        return False

    def post(self, body: bytes, *, signed_right: bool) -> int | None:
        if self.url is None or self.key is None:
            raise RuntimeError("no webhook delivery URL and key configured")
        key = self.key if signed_right else self.key + "-not-the-key"
        headers = {"Content-Type": "application/json", "x-xero-signature": sign(key, body)}
        try:
            answer = requests.post(self.url, data=body, headers=headers, timeout=self.timeout)
        except requests.RequestException:
            status = None
        else:
            status = answer.status_code
        self.posts.append(Post(body, signed_right, status))
        return status

    def intent_to_receive(self) -> IntentCheck:
        """The portal's check: an empty delivery signed right, then one signed wrong."""
        body = json.dumps(
            {"events": [], "lastEventSequence": 0, "firstEventSequence": 0, "entropy": _entropy()},
            separators=(",", ":"),
        ).encode()
        return IntentCheck(
            signed_right=self.post(body, signed_right=True),
            signed_wrong=self.post(body, signed_right=False),
        )
