"""Connecting a reseller to Xero, and handing out valid access tokens afterwards."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Collection
from datetime import timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit

from cbxero.domain.errors import (
    AuthorizationRefused,
    InvalidInput,
    NotConnected,
    ReconnectNeeded,
    UpstreamUnavailable,
)
from cbxero.domain.model import (
    ActionLogEntry,
    ConnectionStatus,
    LogStatus,
    XeroConnection,
)
from cbxero.ports import (
    ActionLog,
    Clock,
    ConnectionRepository,
    OAuthStateStore,
    XeroAuthorizer,
)

STATE_LIFETIME = timedelta(minutes=10)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})
# A refresh lease outlives one token call (timeouts included); waiters poll for its outcome.
REFRESH_LEASE = timedelta(seconds=40)
REFRESH_POLL_SECONDS = 0.25
REFRESH_POLLS = 240


def checked_return_url(url: str, allowed_hosts: Collection[str]) -> str:
    """The store page to return to, if an https URL on an allowed host (http for localhost)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        raise InvalidInput("return_url is not a valid URL", field="return_url") from None
    secure = parts.scheme == "https" or (parts.scheme == "http" and host in LOCAL_HOSTS)
    if not secure or not host or parts.username or parts.password:
        raise InvalidInput("return_url must be an https URL of the store", field="return_url")
    if host not in allowed_hosts:
        raise InvalidInput(
            f"return_url host {host} is not an allowed store host", field="return_url"
        )
    return url


def with_outcome(url: str, **outcome: str) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(outcome)) if q)
    return urlunsplit(parts._replace(query=query))


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


class XeroConnector:
    """The OAuth 2.0 authorization-code flow, with a single-use state bound to the reseller."""

    def __init__(
        self,
        *,
        states: OAuthStateStore,
        signer: StateSigner,
        connections: ConnectionRepository,
        vault: TokenVault,
        identity: XeroAuthorizer,
        action_log: ActionLog,
        clock: Clock,
        allowed_return_hosts: Collection[str],
    ) -> None:
        self._states = states
        self._signer = signer
        self._vault = vault
        self._connections = connections
        self._identity = identity
        self._log = action_log
        self._clock = clock
        self._allowed_hosts = frozenset(allowed_return_hosts)

    def start(self, reseller_id: str, return_url: str) -> str:
        """Xero's authorization URL for this reseller; the user comes back to return_url."""
        return_url = checked_return_url(return_url, self._allowed_hosts)
        state = self._signer.new_state()
        self._states.put(state, reseller_id, return_url, self._clock.now() + STATE_LIFETIME)
        return self._identity.authorization_url(state)

    def finish(
        self, *, state: str | None, code: str | None, error: str | None, actor: str = "user"
    ) -> str:
        """Complete the flow Xero redirected back to; returns the store URL with the outcome."""
        if not state:
            raise InvalidInput("state is missing", field="state")
        if not self._signer.is_ours(state):
            raise InvalidInput("state was not issued by this service", field="state")
        consumed = self._states.consume(state, self._clock.now())
        if consumed is None:
            raise InvalidInput("state is unknown, already used or expired", field="state")
        reseller_id, return_url = consumed
        if error:
            self._record(reseller_id, LogStatus.ERROR, f"Xero authorization ended: {error}", actor)
            return with_outcome(return_url, xero="error", reason=error[:100])
        if not code:
            raise InvalidInput("code is missing", field="code")
        try:
            tokens = self._identity.exchange_code(code)
        except AuthorizationRefused as refused:
            self._record(
                reseller_id,
                LogStatus.ERROR,
                f"Xero refused the authorization: {refused.reason}",
                actor,
            )
            return with_outcome(return_url, xero="error", reason=refused.reason[:100])
        tenants = self._identity.tenants(tokens)
        if not tenants:
            self._record(reseller_id, LogStatus.ERROR, "Xero granted no organisation", actor)
            return with_outcome(return_url, xero="error", reason="no_organisation")
        previous = self._connections.get(reseller_id)
        single = tenants[0] if len(tenants) == 1 else None
        connection = XeroConnection(
            reseller_id=reseller_id,
            status=ConnectionStatus.CONNECTED if single else ConnectionStatus.CHOOSE_TENANT,
            tenant=single,
            tenants_to_choose=() if single else tuple(tenants),
            tokens=tokens,
            connected_since=self._clock.now(),
            version=previous.version + 1 if previous else 0,
        )
        if not self._connections.save(
            connection, expected_version=previous.version if previous else None
        ):
            raise UpstreamUnavailable("the connection changed meanwhile; connect again")
        if single:
            self._record(reseller_id, LogStatus.SUCCESS, f"Connected to Xero: {single.name}", actor)
            return with_outcome(return_url, xero="connected")
        self._record(
            reseller_id, LogStatus.ACTION_REQUIRED, "Choose the Xero organisation to sync", actor
        )
        return with_outcome(return_url, xero="choose_tenant")

    def choose_tenant(self, reseller_id: str, tenant_id: str, actor: str) -> XeroConnection:
        """Pick the organisation to sync when the consent granted several."""
        current = self._connections.get(reseller_id)
        if current is None or current.tokens is None:
            raise NotConnected("Xero is not connected")
        chosen = next((t for t in current.tenants_to_choose if t.tenant_id == tenant_id), None)
        if chosen is None:
            raise InvalidInput(
                "tenant_id is not one of the organisations this connection granted",
                field="tenant_id",
            )
        updated = current.model_copy(
            update={
                "status": ConnectionStatus.CONNECTED,
                "tenant": chosen,
                "version": current.version + 1,
            }
        )
        if not self._connections.save(updated, expected_version=current.version):
            raise UpstreamUnavailable("the connection changed meanwhile; try again")
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
                            reseller_id=reseller_id,
                            at=self._clock.now(),
                            action="xero_connection",
                            status=LogStatus.ACTION_REQUIRED,
                            message="Xero no longer accepts this connection: reconnect Xero. "
                            "Syncing is paused; no order is lost.",
                        )
                    )
                raise
            updated = current.model_copy(update={"tokens": fresh, "version": current.version + 1})
            if self._connections.save(updated, expected_version=current.version):
                return updated
        raise UpstreamUnavailable("could not settle the Xero token refresh")
