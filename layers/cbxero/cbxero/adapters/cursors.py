"""Page cursors only this API can make.

A cursor carries DynamoDB's start key for the next page, with an HMAC-SHA256 over it, the
reseller, and the list and filters it continues. A cursor changed by hand, cut short, or given
back for another reseller, another list or other filters fails the check and is refused (400,
`cursor`) before DynamoDB sees it. The key is derived from a secret the function already reads;
rotating that secret ends the cursors in flight (the store starts from the first page again).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from typing import Any

from cbxero.domain.errors import InvalidInput

_CONTEXT = b"cbxero-page-cursor\n"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorSeal:
    """Signs start keys into cursors and takes back only the cursors it signed for the same
    reseller and scope (the list and its filters, as a string)."""

    def __init__(self, key: Callable[[], bytes] | None = None) -> None:
        # No key given (tests, functions that never list): one for this process only.
        fallback = secrets.token_bytes(32)
        self._key = key or (lambda: fallback)

    def _mac(self, reseller_id: str, scope: str, payload: str) -> str:
        message = b"\n".join(part.encode() for part in (reseller_id, scope, payload))
        return _b64(hmac.new(self._key(), _CONTEXT + message, hashlib.sha256).digest())

    def seal(self, reseller_id: str, scope: str, start_key: dict[str, Any]) -> str:
        payload = _b64(json.dumps(start_key, sort_keys=True, separators=(",", ":")).encode())
        return f"{payload}.{self._mac(reseller_id, scope, payload)}"

    def open(self, reseller_id: str, scope: str, cursor: str) -> dict[str, Any]:
        """The start key a cursor carries, if this seal made it for this reseller and scope."""
        payload, _, mac = cursor.partition(".")
        # Bytes: compare_digest refuses str with non-ASCII characters (TypeError, not a no).
        expected = self._mac(reseller_id, scope, payload).encode()
        if payload and mac and hmac.compare_digest(mac.encode(), expected):
            try:
                key = json.loads(_unb64(payload))
            except (ValueError, binascii.Error):
                key = None
            if isinstance(key, dict):
                return key
        raise InvalidInput(
            "not a cursor this list gave out for these filters; start from the first page",
            field="cursor",
        )
