"""Xero's identity service over HTTP (OAuth 2.0 through requests-oauthlib): the consent URL,
code exchange, refresh, revocation and the organisations a grant reaches."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import requests
from oauthlib.oauth2.rfc6749.errors import InvalidGrantError, OAuth2Error
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from cbxero.adapters.xero.shared import TIMEOUT
from cbxero.domain.connection import TokenSet, XeroTenant
from cbxero.domain.errors import AuthorizationRefused, ReconnectNeeded, UpstreamUnavailable
from cbxero.ports import Clock, XeroAuthorizer


class XeroIdentity(XeroAuthorizer):
    """Authorization URL, code exchange, refresh and tenant list against Xero's identity service."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        scopes: Sequence[str],
        login_url: str,
        identity_url: str,
        api_url: str,
        http: requests.Session,
        clock: Clock,
    ) -> None:
        self._client_id = client_id
        self._auth = HTTPBasicAuth(client_id, client_secret)
        self._redirect_uri = redirect_uri
        self._scopes = list(scopes)
        self._authorize_url = f"{login_url}/identity/connect/authorize"
        self._token_url = f"{identity_url}/connect/token"
        self._revocation_url = f"{identity_url}/connect/revocation"
        self._connections_url = f"{api_url}/Connections"
        self._http = http
        self._clock = clock

    def _session(self, **kwargs: Any) -> OAuth2Session:
        session = OAuth2Session(self._client_id, **kwargs)
        session.mount("https://", self._http.get_adapter("https://"))
        session.mount("http://", self._http.get_adapter("http://"))
        return session

    def authorization_url(self, state: str, code_challenge: str) -> str:
        session = self._session(redirect_uri=self._redirect_uri, scope=self._scopes, state=state)
        url, _ = session.authorization_url(
            self._authorize_url, code_challenge=code_challenge, code_challenge_method="S256"
        )
        return str(url)

    def exchange_code(self, code: str, code_verifier: str) -> TokenSet:
        session = self._session(redirect_uri=self._redirect_uri, scope=self._scopes)
        # A state stored before PKCE has no verifier: its code was asked for without a challenge.
        pkce = {"code_verifier": code_verifier} if code_verifier else {}
        try:
            token = session.fetch_token(
                self._token_url,
                code=code,
                **pkce,
                auth=self._auth,
                include_client_id=False,
                timeout=TIMEOUT,
            )
        except OAuth2Error as refused:
            reason = str(refused.error or "invalid_request")
            raise AuthorizationRefused("Xero refused the code", reason=reason) from None
        except requests.RequestException as error:
            raise UpstreamUnavailable(f"Xero code exchange: {type(error).__name__}") from None
        return self._token_set(token)

    def refresh(self, tokens: TokenSet) -> TokenSet:
        session = self._session(token={"refresh_token": tokens.refresh_token.get_secret_value()})
        try:
            token = session.refresh_token(
                self._token_url,
                refresh_token=tokens.refresh_token.get_secret_value(),
                auth=self._auth,
                timeout=TIMEOUT,
            )
        except InvalidGrantError:
            # A revoked, expired or replayed refresh token.
            raise ReconnectNeeded("Xero refused the refresh token; reconnect Xero") from None
        except requests.RequestException as error:
            raise UpstreamUnavailable(f"Xero token refresh: {type(error).__name__}") from None
        return self._token_set(token)

    def tenants(self, tokens: TokenSet) -> list[XeroTenant]:
        response = self._http.get(
            self._connections_url,
            headers={"Authorization": f"Bearer {tokens.access_token.get_secret_value()}"},
            timeout=TIMEOUT,
        )
        response.raise_for_status()
        return [
            XeroTenant(
                tenant_id=entry["tenantId"],
                name=entry.get("tenantName") or "",
                connection_id=entry.get("id"),
            )
            for entry in response.json()
            if entry.get("tenantType", "ORGANISATION") == "ORGANISATION"
        ]

    def revoke(self, tokens: TokenSet) -> None:
        response = self._http.post(
            self._revocation_url,
            data={"token": tokens.refresh_token.get_secret_value()},
            auth=self._auth,
            timeout=TIMEOUT,
        )
        response.raise_for_status()

    def disconnect(self, tokens: TokenSet, connection_id: str) -> None:
        response = self._http.delete(
            f"{self._connections_url}/{connection_id}",
            headers={"Authorization": f"Bearer {tokens.access_token.get_secret_value()}"},
            timeout=TIMEOUT,
        )
        if response.status_code not in (204, 404):  # 404: already gone at Xero
            response.raise_for_status()

    def _token_set(self, token: dict[str, Any]) -> TokenSet:
        expires_in = int(token.get("expires_in", 1800))
        scope = token.get("scope") or []
        return TokenSet(
            access_token=token["access_token"],
            refresh_token=token["refresh_token"],
            expires_at=self._clock.now() + timedelta(seconds=expires_in),
            scopes=tuple(scope.split() if isinstance(scope, str) else scope),
        )
