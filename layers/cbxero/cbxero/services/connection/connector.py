"""Connecting a reseller to Xero: the authorization-code flow bound to the user who started it,
the organisation chosen, the connection ended."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Collection
from contextlib import suppress
from datetime import datetime
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger

from cbxero.domain.connection import (
    ConnectionStatus,
    ConnectStart,
    PendingGrant,
    TokenSet,
    XeroConnection,
    XeroTenant,
)
from cbxero.domain.errors import (
    AuthorizationRefused,
    Conflict,
    InvalidInput,
    NotConnected,
    ReconnectNeeded,
    UpstreamUnavailable,
)
from cbxero.domain.history import HistoryStart, parsed_start
from cbxero.domain.model import ActionLogEntry, LogStatus
from cbxero.ports import (
    ActionLog,
    Clock,
    ConnectionRepository,
    HistoryRecord,
    OAuthStateStore,
    OrganisationRecord,
    PendingGrantStore,
    XeroAuthorizer,
)
from cbxero.services.connection.consent import (
    CODE_LENGTH,
    NOT_YOURS,
    PENDING_LIFETIME,
    STATE_LENGTH,
    STATE_LIFETIME,
    CallbackOutcome,
    ConnectLink,
    StateSigner,
    checked_return_url,
    cleaned_reason,
    pkce_challenge,
    verifier_hash,
    with_outcome,
)

if TYPE_CHECKING:
    from cbxero.services.connection.vault import TokenVault

logger = Logger(child=True)

# What the live check logs when Xero no longer lists the organisation among the app's connections.
DISCONNECTED_IN_XERO = (
    "Xero no longer lists {name} among this app's connections (disconnected in Xero under "
    "Settings > Connected Apps?); reconnect Xero"
)


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
        allowed_return_hosts: Callable[[], Collection[str]],
        history: HistoryRecord | None = None,
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
        # Read when a connect starts, not at construction (a cold start): one host may live in
        # a parameter store.
        self._allowed_hosts = allowed_return_hosts
        self._history = history  # where a start chosen on the consent page is kept

    def start(
        self,
        reseller_id: str,
        user: str,
        actor: str,
        return_url: str,
        history_from: str | None = None,
    ) -> ConnectLink:
        """Xero's authorization URL for this user; the user comes back to return_url. A history
        start chosen on the consent page is checked now and kept once connected."""
        return_url = checked_return_url(return_url, frozenset(self._allowed_hosts()))
        start_at = (
            None
            if history_from is None
            else parsed_start(history_from, self._clock.now(), "history_from")
        )
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
            history_from=start_at,
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
        connection = self._connect(reseller_id, grant.tokens, grant.tenants, actor)
        if start.history_from is not None and self._history is not None:
            self._keep_history_start(reseller_id, start.history_from, actor)
        return connection

    def _keep_history_start(self, reseller_id: str, start: datetime, actor: str) -> None:
        """The start chosen on the consent page, unless one was chosen before (a reconnect
        keeps the reseller's choice; moving it later is POST /history)."""
        assert self._history is not None
        chosen = HistoryStart(start=start, chosen_at=self._clock.now(), chosen_by=actor)
        if self._history.save(reseller_id, chosen, first_only=True):
            self._record(
                reseller_id,
                LogStatus.INFO,
                f"History starts at {start.isoformat()}, as chosen when connecting",
                actor,
            )

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
            # Whoever chooses among several organisations is told which one the links belong to.
            switch_from=bound if switching or (single is None and bound is not None) else None,
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

    def status(self, reseller_id: str, *, live: bool = False) -> XeroConnection:
        """The stored connection; live: first asks Xero whether the organisation is still
        connected to the app (a disconnect made inside Xero then reads "reconnect needed" at
        once, not at the next sync). Xero out of reach leaves the stored status as it is."""
        connection = self._connections.get(reseller_id) or XeroConnection(
            reseller_id=reseller_id, status=ConnectionStatus.NOT_CONNECTED
        )
        if not live or not connection.usable:
            return connection
        try:
            usable = self._vault.connection(reseller_id)  # refreshed; a refusal marks it
            granted = self._identity.tenants(usable.tokens) if usable.tokens else []
        except ReconnectNeeded:
            return self._connections.get(reseller_id) or connection
        except Exception:  # Xero out of reach: the stored status stands
            logger.warning("the live check of the Xero connection could not reach Xero")
            return connection
        tenant = usable.tenant
        if tenant is not None and all(t.tenant_id != tenant.tenant_id for t in granted):
            self._vault.refused(reseller_id, DISCONNECTED_IN_XERO.format(name=tenant.name))
            return self._connections.get(reseller_id) or connection
        return usable

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
