"""Connecting a reseller to Xero, and handing out valid access tokens afterwards."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable, Collection
from contextlib import suppress
from datetime import timedelta
from typing import NamedTuple
from urllib.parse import urlencode, urlsplit, urlunsplit

from aws_lambda_powertools import Logger

from cbxero.domain.errors import (
    AuthorizationRefused,
    Conflict,
    InvalidInput,
    NotConnected,
    ReconnectNeeded,
    UpstreamUnavailable,
)
from cbxero.domain.model import (
    ActionLogEntry,
    ConnectionStatus,
    ConnectStart,
    LogStatus,
    PendingGrant,
    TokenSet,
    XeroConnection,
    XeroTenant,
)
from cbxero.ports import (
    ActionLog,
    Clock,
    ConnectionRepository,
    OAuthStateStore,
    OrganisationRecord,
    PendingGrantStore,
    XeroAuthorizer,
)

logger = Logger(child=True)

STATE_LIFETIME = timedelta(minutes=10)
# A consent waits this long for the page that started it to finish it.
PENDING_LIFETIME = timedelta(minutes=10)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})
DEFAULT_PORTS = {"https": 443, "http": 80}
# A refresh lease outlives one token call (timeouts included); waiters poll for its outcome.
REFRESH_LEASE = timedelta(seconds=40)
REFRESH_POLL_SECONDS = 0.25
REFRESH_POLLS = 240
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


class XeroConnector:
    """The OAuth 2.0 authorization-code flow, bound to the user and the page that started it.

    `start` (authenticated) stores a single-use state naming the reseller, the user and the hash
    of a one-time verifier it hands to the starting page. The public callback exchanges the code
    and holds the grant as pending under a new random handle that only the browser that gave
    consent receives. `complete` (authenticated) connects only for the same reseller and user
    with the verifier; anything else connects nothing and revokes the grant at Xero.
    """

    def __init__(
        self,
        *,
        states: OAuthStateStore,
        pending: PendingGrantStore,
        signer: StateSigner,
        connections: ConnectionRepository,
        organisations: OrganisationRecord,
        vault: TokenVault,
        identity: XeroAuthorizer,
        action_log: ActionLog,
        clock: Clock,
        allowed_return_hosts: Collection[str],
    ) -> None:
        self._states = states
        self._pending = pending
        self._signer = signer
        self._vault = vault
        self._connections = connections
        self._organisations = organisations
        self._identity = identity
        self._log = action_log
        self._clock = clock
        self._allowed_hosts = frozenset(allowed_return_hosts)

    def start(self, reseller_id: str, user: str, actor: str, return_url: str) -> ConnectLink:
        """Xero's authorization URL for this user; the user comes back to return_url."""
        return_url = checked_return_url(return_url, self._allowed_hosts)
        state = self._signer.new_state()
        verifier = secrets.token_urlsafe(32)
        code_verifier = secrets.token_urlsafe(48)  # PKCE: 64 characters, RFC 7636's alphabet
        start = ConnectStart(
            reseller_id=reseller_id,
            user=user,
            actor=actor,
            return_url=return_url,
            verifier_hash=verifier_hash(verifier),
            code_verifier=code_verifier,
        )
        self._states.put(state, start, self._clock.now() + STATE_LIFETIME)
        authorization_url = self._identity.authorization_url(state, pkce_challenge(code_verifier))
        return ConnectLink(authorization_url, verifier)

    def finish(self, *, state: str | None, code: str | None, error: str | None) -> CallbackOutcome:
        """Xero redirected the browser back: exchange the code and hold the grant as pending.
        Connects nothing by itself; returns where to send the browser."""
        if not state or len(state) > STATE_LENGTH or not self._signer.is_ours(state):
            return CallbackOutcome(None, "This link was not issued by the Xero connection.")
        lookup = self._states.consume(state, self._clock.now())
        start = lookup.start
        if start is None:
            return CallbackOutcome(None, "This Xero connection link is unknown.")
        back = start.return_url
        if lookup.problem is not None:
            return CallbackOutcome(
                with_outcome(back, xero="error", reason=f"state_{lookup.problem}")
            )
        if error:
            reason = cleaned_reason(error)
            self._record(
                start.reseller_id,
                LogStatus.ERROR,
                f"Xero authorization ended: {reason}",
                start.actor,
            )
            return CallbackOutcome(with_outcome(back, xero="error", reason=reason))
        if not code:
            return CallbackOutcome(with_outcome(back, xero="error", reason="missing_code"))
        if len(code) > CODE_LENGTH:
            return CallbackOutcome(with_outcome(back, xero="error", reason="invalid_code"))
        try:
            tokens = self._identity.exchange_code(code, start.code_verifier)
        except AuthorizationRefused as refused:
            reason = cleaned_reason(refused.reason)
            self._record(
                start.reseller_id,
                LogStatus.ERROR,
                f"Xero refused the authorization: {reason}",
                start.actor,
            )
            return CallbackOutcome(with_outcome(back, xero="error", reason=reason))
        except UpstreamUnavailable:
            return CallbackOutcome(with_outcome(back, xero="error", reason="xero_unavailable"))
        try:
            tenants = self._identity.tenants(tokens)
        except Exception:
            self._release(tokens, ())
            return CallbackOutcome(with_outcome(back, xero="error", reason="xero_unavailable"))
        if not tenants:
            self._release(tokens, ())
            self._record(
                start.reseller_id, LogStatus.ERROR, "Xero granted no organisation", start.actor
            )
            return CallbackOutcome(with_outcome(back, xero="error", reason="no_organisation"))
        handle = secrets.token_urlsafe(32)
        self._pending.hold(
            handle,
            PendingGrant(start=start, tokens=tokens, tenants=tuple(tenants)),
            self._clock.now() + PENDING_LIFETIME,
        )
        return CallbackOutcome(with_outcome(back, xero="pending", flow=handle))

    def complete(
        self, reseller_id: str, user: str, actor: str, flow: str, verifier: str
    ) -> XeroConnection:
        """The starting page finishes a pending consent: connects only for the same reseller and
        user, with the verifier it was given; anything else revokes the consent at Xero."""
        taken = self._pending.take(flow, self._clock.now())
        if taken is None:
            raise InvalidInput(NOT_YOURS, field="flow")
        grant, live = taken
        start = grant.start
        same = (
            live
            and hmac.compare_digest(start.reseller_id, reseller_id)
            and hmac.compare_digest(start.user, user)
            and hmac.compare_digest(start.verifier_hash, verifier_hash(verifier))
        )
        if not same:
            self._release(grant.tokens, grant.tenants)
            self._record(
                start.reseller_id,
                LogStatus.ERROR,
                "A Xero consent was not completed by the user who started it, from the page "
                "that started it (or came too late): nothing was connected, and the consent "
                "was revoked at Xero.",
                start.actor,
            )
            raise InvalidInput(NOT_YOURS, field="flow")
        return self._connect(reseller_id, grant.tokens, grant.tenants, actor)

    def release_abandoned(self) -> int:
        """Consents Xero granted that nobody finished in time (a link sent to someone else, a
        closed tab): revoked at Xero and logged. Run on a schedule; returns how many."""
        released = self._pending.take_abandoned(self._clock.now())
        for grant in released:
            self._release(grant.tokens, grant.tenants)
            self._record(
                grant.start.reseller_id,
                LogStatus.INFO,
                "A Xero consent was not finished in time from the page that started it: "
                "nothing was connected, and the consent was revoked at Xero.",
                grant.start.actor,
            )
        return len(released)

    def _connect(
        self,
        reseller_id: str,
        tokens: TokenSet,
        tenants: tuple[XeroTenant, ...],
        actor: str,
    ) -> XeroConnection:
        previous = self._connections.get(reseller_id)
        single = tenants[0] if len(tenants) == 1 else None
        bound = self._bound(reseller_id, previous)
        switching = single is not None and bound is not None and bound.tenant_id != single.tenant_id
        connected = single is not None and not switching
        connection = XeroConnection(
            reseller_id=reseller_id,
            status=ConnectionStatus.CONNECTED if connected else ConnectionStatus.CHOOSE_TENANT,
            tenant=single if connected else None,
            tenants_to_choose=() if connected else tenants,
            tokens=tokens,
            connected_since=self._clock.now(),
            version=previous.version + 1 if previous else 0,
            switch_from=bound if switching else None,
        )
        if not self._connections.save(
            connection, expected_version=previous.version if previous else None
        ):
            self._release(tokens, tenants)
            raise UpstreamUnavailable("the connection changed meanwhile; connect again")
        if connected and single is not None:
            self._organisations.bind(reseller_id, single)
            self._record(reseller_id, LogStatus.SUCCESS, f"Connected to Xero: {single.name}", actor)
        elif switching and single is not None and bound is not None:
            self._record(
                reseller_id,
                LogStatus.ACTION_REQUIRED,
                f"Xero granted {single.name}, but your customer links and product mappings "
                f"belong to {bound.name}: confirm the switch (they are then set aside) or "
                f"connect {bound.name} again. Nothing syncs meanwhile.",
                actor,
            )
        else:
            self._record(
                reseller_id,
                LogStatus.ACTION_REQUIRED,
                "Choose the Xero organisation to sync",
                actor,
            )
        return connection

    def _bound(self, reseller_id: str, previous: XeroConnection | None) -> XeroTenant | None:
        """The organisation the reseller's links and mappings belong to (the one connected
        before this record existed counts as it)."""
        bound = self._organisations.bound(reseller_id)
        if bound is None and previous is not None:
            bound = previous.tenant or previous.switch_from
        return bound

    def _release(self, tokens: TokenSet, tenants: Collection[XeroTenant]) -> None:
        """Undo a consent at Xero: its organisations disconnected, its refresh token revoked."""
        for tenant in tenants:
            if tenant.connection_id:
                with suppress(Exception):
                    self._identity.disconnect(tokens, tenant.connection_id)
        try:
            self._identity.revoke(tokens)
        except Exception:
            logger.warning("revoking a released Xero consent failed")

    def choose_tenant(
        self, reseller_id: str, tenant_id: str, actor: str, *, confirm_switch: bool = False
    ) -> XeroConnection:
        """Pick the organisation to sync when the consent granted several (or confirm a switch
        to another organisation than the one the links and mappings belong to). Organisations
        granted but not chosen are disconnected at Xero."""
        current = self._connections.get(reseller_id)
        if current is None or current.tokens is None:
            raise NotConnected("Xero is not connected")
        if current.status is ConnectionStatus.CONNECTED and current.tenant is not None:
            if current.tenant.tenant_id == tenant_id:
                return current  # already the one: nothing to do
            raise InvalidInput(
                "tenant_id is not the connected organisation; connect again to change it",
                field="tenant_id",
            )
        chosen = next((t for t in current.tenants_to_choose if t.tenant_id == tenant_id), None)
        if chosen is None:
            raise InvalidInput(
                "tenant_id is not one of the organisations this connection granted",
                field="tenant_id",
            )
        bound = self._bound(reseller_id, None) or current.switch_from
        switching = bound is not None and bound.tenant_id != chosen.tenant_id
        if switching and not confirm_switch:
            raise Conflict(
                f"your customer links and product mappings belong to {bound.name if bound else ''}"
                ": send confirm_switch true to set them aside and sync to this organisation",
                field="confirm_switch",
            )
        updated = current.model_copy(
            update={
                "status": ConnectionStatus.CONNECTED,
                "tenant": chosen,
                "tenants_to_choose": (),
                "switch_from": None,
                "version": current.version + 1,
            }
        )
        if switching and bound is not None:
            links, mappings = self._organisations.set_aside(reseller_id, bound)
            self._record(
                reseller_id,
                LogStatus.INFO,
                f"Switched Xero organisation from {bound.name} to {chosen.name}: {links} customer "
                f"link(s) and {mappings} product mapping(s) made in {bound.name} were set aside. "
                "Map products again, and check the account code and tax type settings.",
                actor,
            )
        if not self._connections.save(updated, expected_version=current.version):
            raise UpstreamUnavailable("the connection changed meanwhile; try again")
        self._organisations.bind(reseller_id, chosen)
        others = [t for t in current.tenants_to_choose if t.tenant_id != chosen.tenant_id]
        if others:
            try:
                tokens = self._vault.connection(reseller_id).tokens  # refreshed if it must be
                for tenant in others:
                    if tokens is not None and tenant.connection_id:
                        self._identity.disconnect(tokens, tenant.connection_id)
            except Exception:  # the choice stands; the consent is only wider than needed
                logger.warning("disconnecting the organisations not chosen failed")
        self._record(reseller_id, LogStatus.SUCCESS, f"Syncing to Xero: {chosen.name}", actor)
        return updated

    def disconnect(self, reseller_id: str, actor: str) -> None:
        """Remove the connection at Xero, revoke the refresh token, forget the tokens."""
        current = self._connections.get(reseller_id)
        if current is None:
            return
        try:
            usable = self._vault.connection(reseller_id)
        except NotConnected:
            usable = None  # refused or never finished: nothing left to revoke at Xero
        if usable is not None and usable.tokens is not None:
            if usable.tenant is not None and usable.tenant.connection_id:
                self._identity.disconnect(usable.tokens, usable.tenant.connection_id)
            self._identity.revoke(usable.tokens)
        elif current.tokens is not None and current.status is ConnectionStatus.CHOOSE_TENANT:
            self._release(current.tokens, current.tenants_to_choose)  # a consent never chosen
        self._connections.delete(reseller_id)
        self._record(reseller_id, LogStatus.INFO, "Disconnected from Xero", actor)

    def status(self, reseller_id: str) -> XeroConnection:
        connection = self._connections.get(reseller_id)
        return connection or XeroConnection(
            reseller_id=reseller_id, status=ConnectionStatus.NOT_CONNECTED
        )

    def _record(self, reseller_id: str, status: LogStatus, message: str, actor: str) -> None:
        self._log.add(
            ActionLogEntry(
                reseller_id=reseller_id,
                at=self._clock.now(),
                action="xero_connection",
                status=status,
                actor=actor,
                message=message,
            )
        )


class TokenVault:
    """Hands out a connection with a valid access token, refreshing it rotation-safely.

    Single flight: one caller leases the refresh of the stored version (a conditional write),
    refreshes and stores the new tokens (a conditional write on the version); everyone else
    waits for that version and uses its token. So a refresh token is used once, and a refused
    one (invalid_grant) really means the reseller must reconnect.
    """

    def __init__(
        self,
        *,
        connections: ConnectionRepository,
        identity: XeroAuthorizer,
        action_log: ActionLog,
        clock: Clock,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._connections = connections
        self._identity = identity
        self._log = action_log
        self._clock = clock
        self._sleep = sleep

    def connection(self, reseller_id: str) -> XeroConnection:
        holder = secrets.token_hex(8)  # this call's own claim on a refresh lease
        for _ in range(REFRESH_POLLS):
            current = self._connections.get(reseller_id)
            if current is None or current.status is ConnectionStatus.NOT_CONNECTED:
                raise NotConnected("Xero is not connected")
            if current.status is ConnectionStatus.RECONNECT_NEEDED:
                raise ReconnectNeeded("Xero needs reconnecting")
            if not current.usable or current.tokens is None:
                raise NotConnected("choose the Xero organisation first")
            if not current.tokens.needs_refresh(self._clock.now()):
                return current
            now = self._clock.now()
            if not self._connections.lease_refresh(
                reseller_id, current.version, holder, now, now + REFRESH_LEASE
            ):
                self._sleep(REFRESH_POLL_SECONDS)  # another caller is refreshing: wait for it
                continue
            try:
                fresh = self._identity.refresh(current.tokens)
            except UpstreamUnavailable:
                # The answer was lost: Xero may have rotated the token anyway. The stored one is
                # then the previous token, still valid for 30 minutes, so trying again is safe.
                continue
            except ReconnectNeeded:
                self._mark_refused(current)
                raise
            updated = current.model_copy(update={"tokens": fresh, "version": current.version + 1})
            if self._connections.save(updated, expected_version=current.version):
                return updated
        raise UpstreamUnavailable("could not settle the Xero token refresh")

    def refused(self, reseller_id: str) -> None:
        """Xero refused the organisation's calls (401, or 403 after a disconnect made inside
        Xero while refresh still works): the same as a refused refresh token."""
        for _ in range(3):  # a refresh may move the version on meanwhile
            current = self._connections.get(reseller_id)
            if current is None or current.status is not ConnectionStatus.CONNECTED:
                return
            if self._mark_refused(current):
                return

    def _mark_refused(self, current: XeroConnection) -> bool:
        marked = self._connections.save(
            current.model_copy(
                update={
                    "status": ConnectionStatus.RECONNECT_NEEDED,
                    "version": current.version + 1,
                }
            ),
            expected_version=current.version,
        )
        if marked:  # once, by the caller that found out
            self._log.add(
                ActionLogEntry(
                    reseller_id=current.reseller_id,
                    at=self._clock.now(),
                    action="xero_connection",
                    status=LogStatus.ACTION_REQUIRED,
                    message="Xero no longer accepts this connection: reconnect Xero. "
                    "Syncing is paused; no order is lost.",
                )
            )
        return marked
