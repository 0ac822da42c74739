"""Valid access tokens for a connected reseller, refreshed once however many ask."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import timedelta

from cbxero.domain.connection import ConnectionStatus, XeroConnection
from cbxero.domain.errors import (
    NotConnected,
    ReconnectNeeded,
    UpstreamUnavailable,
)
from cbxero.domain.model import ActionLogEntry, LogStatus
from cbxero.ports import (
    ActionLog,
    Clock,
    ConnectionRepository,
    XeroAuthorizer,
)

REFRESH_LEASE = timedelta(seconds=40)
REFRESH_POLL_SECONDS = 0.25
REFRESH_POLLS = 240


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

    def refused(self, reseller_id: str, reason: str | None = None) -> None:
        """Xero refused the organisation's calls (401, or 403 after a disconnect made inside
        Xero while refresh still works): the same as a refused refresh token. The reason (a
        sentence ending "reconnect Xero") goes into the Action Log entry the reseller reads."""
        for _ in range(3):  # a refresh may move the version on meanwhile
            current = self._connections.get(reseller_id)
            if current is None or current.status is not ConnectionStatus.CONNECTED:
                return
            if self._mark_refused(current, reason):
                return

    def _mark_refused(self, current: XeroConnection, reason: str | None = None) -> bool:
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
                    message=f"{reason or 'Xero no longer accepts this connection: reconnect Xero'}"
                    ". Syncing is paused; no order is lost.",
                )
            )
        return marked
