"""Idempotency-Key values for Xero writes, made in one place so that every service spells a
subject's key the same way: the same write asked twice, by whichever service, is answered with
the first answer and done once."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from cbxero.domain.model import SyncTask

KEY_LIMIT = 128  # Xero's longest Idempotency-Key


def idempotency_key(reseller_id: str, subject: str, action: str) -> str:
    """Same subject and action, same key: Xero replays the first answer, does nothing twice."""
    return f"cbxero:{reseller_id}:{subject}:{action}"[:KEY_LIMIT]


def contact_key(reseller_id: str, customer_id: str) -> str:
    """The key that makes a marketplace customer's Xero contact (by hand or by a sync)."""
    return idempotency_key(reseller_id, customer_id, "contact")


def item_key(reseller_id: str, item_code: str) -> str:
    """The key that makes the Xero item of this code."""
    return idempotency_key(reseller_id, "item", item_code)


def batch_key(reseller_id: str, tasks: Iterable[SyncTask], action: str) -> str:
    """One key for a batch of documents: the same tasks at the same attempt give the same key."""
    digest = hashlib.sha256(
        ",".join(sorted(f"{t.order_id}@{t.attempts}" for t in tasks)).encode()
    ).hexdigest()[:32]
    return idempotency_key(reseller_id, digest, action)


def payments_key(reseller_id: str, payments: Iterable[str]) -> str:
    """One key for a call of payments (each named by its reference and amount): the same
    payments give the same key, whichever attempt sends them."""
    digest = hashlib.sha256(",".join(sorted(payments)).encode()).hexdigest()[:32]
    return idempotency_key(reseller_id, digest, "payments")
