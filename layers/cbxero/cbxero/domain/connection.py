"""A reseller's Xero connection: the organisation, the tokens, and the consent on its way."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, SecretStr


class ConnectionStatus(StrEnum):
    NOT_CONNECTED = "not_connected"
    CHOOSE_TENANT = "choose_tenant"
    CONNECTED = "connected"
    RECONNECT_NEEDED = "reconnect_needed"


class XeroTenant(BaseModel):
    model_config = ConfigDict(frozen=True)

    tenant_id: str
    name: str
    connection_id: str | None = None  # Xero's id of the grant, used to disconnect


class TokenSet(BaseModel):
    """Xero's tokens for one connection. Never logged, never returned by an API."""

    model_config = ConfigDict(frozen=True)

    access_token: SecretStr
    refresh_token: SecretStr
    expires_at: AwareDatetime
    scopes: tuple[str, ...] = ()

    REFRESH_MARGIN: ClassVar[timedelta] = timedelta(minutes=2)

    def needs_refresh(self, now: datetime) -> bool:
        """True when less than two minutes of the access token's life remain."""
        return self.expires_at - now < self.REFRESH_MARGIN


class XeroConnection(BaseModel):
    """A reseller's link to one Xero organisation, with the version used for safe token rotation."""

    model_config = ConfigDict(frozen=True)

    reseller_id: str
    status: ConnectionStatus
    tenant: XeroTenant | None = None
    tenants_to_choose: tuple[XeroTenant, ...] = ()
    tokens: TokenSet | None = None
    connected_since: AwareDatetime | None = None
    version: int = 0
    # The organisation the reseller's links and mappings belong to, while a consent for another
    # one waits for the reseller to confirm the switch.
    switch_from: XeroTenant | None = None

    @property
    def usable(self) -> bool:
        return (
            self.status is ConnectionStatus.CONNECTED
            and self.tenant is not None
            and self.tokens is not None
        )


class ConnectStart(BaseModel):
    """What an OAuth state stands for: who started connecting, from which store page, and the
    hash of the one-time verifier only that page holds."""

    model_config = ConfigDict(frozen=True)

    reseller_id: str
    user: str  # the JWT subject of the user who started
    actor: str  # how the Action Log names that user
    return_url: str
    verifier_hash: str
    # PKCE (RFC 7636): the code verifier behind the authorization URL's S256 challenge, sent on
    # the code exchange, so a code is redeemed only with the state of the flow that asked for it.
    code_verifier: str = ""
    # The history start chosen on the consent page (cbxero.domain.history), kept on connecting.
    history_from: AwareDatetime | None = None


class StateLookup(BaseModel):
    """A state looked up once: its start if known, and why it cannot be used (None: it can)."""

    model_config = ConfigDict(frozen=True)

    start: ConnectStart | None = None
    problem: str | None = None


class PendingGrant(BaseModel):
    """A consent Xero granted, exchanged and held until the user who started finishes it."""

    model_config = ConfigDict(frozen=True)

    start: ConnectStart
    tokens: TokenSet
    tenants: tuple[XeroTenant, ...]
