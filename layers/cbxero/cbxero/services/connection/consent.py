"""The consent flow's pieces: the signed state, PKCE, the return URL, what the callback says."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Collection
from datetime import timedelta
from typing import NamedTuple
from urllib.parse import urlencode, urlsplit, urlunsplit

from cbxero.domain.errors import (
    InvalidInput,
)

STATE_LIFETIME = timedelta(minutes=10)
# A consent waits this long for the page that started it to finish it.
PENDING_LIFETIME = timedelta(minutes=10)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})
DEFAULT_PORTS = {"https": 443, "http": 80}
# A refresh lease outlives one token call (timeouts included); waiters poll for its outcome.
REASON_LENGTH = 64
CODE_LENGTH = 2048
STATE_LENGTH = 512
NOT_YOURS = "the connection flow is unknown, used, expired or not yours"


def checked_return_url(url: str, allowed_hosts: Collection[str]) -> str:
    """The store page to return to, if an https URL (http for localhost) whose host and port are
    allowed: an entry "host" allows the scheme's default port, "host:port" that port. It ends up
    in the callback's Location header, so it must be a URI as sent: printable ASCII, no spaces
    (anything else percent-encoded by the store)."""
    if not url.isascii() or not url.isprintable() or " " in url:
        raise InvalidInput(
            "return_url must be a URL of printable ASCII characters (percent-encode the rest)",
            field="return_url",
        )
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        raise InvalidInput("return_url is not a valid URL", field="return_url") from None
    secure = parts.scheme == "https" or (parts.scheme == "http" and host in LOCAL_HOSTS)
    if not secure or not host or parts.username or parts.password:
        raise InvalidInput("return_url must be an https URL of the store", field="return_url")
    default = DEFAULT_PORTS[parts.scheme]
    allowed = f"{host}:{port or default}" in allowed_hosts or (
        host in allowed_hosts and port in (None, default)
    )
    if not allowed:
        where = host if port is None else f"{host}:{port}"
        raise InvalidInput(
            f"return_url host {where} is not an allowed store host", field="return_url"
        )
    return url


def with_outcome(url: str, **outcome: str) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(outcome)) if q)
    return urlunsplit(parts._replace(query=query))


def cleaned_reason(raw: str) -> str:
    """An OAuth error code as received from a URL, safe to store and show: the characters an
    RFC 6749 error code uses, bounded."""
    kept = re.sub(r"[^A-Za-z0-9_.\-]", "", raw)[:REASON_LENGTH]
    return kept or "unknown_error"


def verifier_hash(verifier: str) -> str:
    return hashlib.sha256(verifier.encode()).hexdigest()


def pkce_challenge(code_verifier: str) -> str:
    """RFC 7636 S256: BASE64URL(SHA256(verifier)), unpadded."""
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class StateSigner:
    """An opaque, signed OAuth state: a router can pass it along; a forgery fails before storage."""

    def __init__(self, key: Callable[[], bytes]) -> None:
        self._key = key

    def _mac(self, nonce: str) -> str:
        digest = hmac.new(self._key(), nonce.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def new_state(self) -> str:
        nonce = secrets.token_urlsafe(32)
        return f"{nonce}.{self._mac(nonce)}"

    def is_ours(self, state: str) -> bool:
        nonce, _, mac = state.partition(".")
        # Bytes: compare_digest refuses str with non-ASCII characters (a TypeError, a 5xx).
        return bool(nonce and mac) and hmac.compare_digest(mac.encode(), self._mac(nonce).encode())


class ConnectLink(NamedTuple):
    """Where to send the user, and the one-time value the starting page keeps (never in a URL)."""

    authorization_url: str
    verifier: str


class CallbackOutcome(NamedTuple):
    """Where the callback sends the browser: the store page with the outcome, or (when the store
    page is not known) nowhere, with the problem to show on a plain page."""

    location: str | None
    problem: str = ""
