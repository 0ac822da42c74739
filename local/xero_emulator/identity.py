"""Xero's identity side: OAuth 2.0 authorization (with a consent page or automatic consent),
the token endpoint (codes with PKCE, rotating refresh tokens), revocation, and the connections
an access token may use."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from html import escape
from typing import Any
from urllib.parse import urlencode

from flask import Response, jsonify, request

from local.xero_emulator.replies import oauth_error, problem
from local.xero_emulator.state import (
    ACCESS_LIFETIME,
    REFRESH_LIFETIME,
    EmulatorState,
    Grant,
    RefreshToken,
)


class Identity:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def authorize(self) -> Response:
        args, state = request.args, self.state
        if args.get("client_id") not in state.clients or args.get("response_type") != "code":
            return Response("unknown client or response type", status=400)
        if state.auto_consent:
            return self._grant_code(args.to_dict(), [next(iter(state.organisations))])
        options = "".join(
            f'<label><input type="checkbox" name="tenant" value="{o.tenant_id}" checked> '
            f"{escape(o.name)}</label><br>"
            for o in state.organisations.values()
        )
        hidden = "".join(
            f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in args.items()
        )
        page = (
            "<!doctype html><title>Xero emulator - allow access</title>"
            "<h1>Allow access to your Xero organisations</h1>"
            f"<p>Scopes: {escape(args.get('scope', ''))}</p>"
            f'<form method="post" action="/identity/connect/consent">{hidden}{options}'
            '<button name="decision" value="allow">Allow access</button> '
            '<button name="decision" value="deny">Cancel</button></form>'
        )
        return Response(page, mimetype="text/html")

    def consent(self) -> Response:
        form = request.form
        kept = (
            "client_id",
            "redirect_uri",
            "scope",
            "state",
            "code_challenge",
            "code_challenge_method",
        )
        params = {k: form[k] for k in kept if k in form}
        if form.get("decision") != "allow":
            query = urlencode({"error": "access_denied", "state": params.get("state", "")})
            return Response(status=302, headers={"Location": f"{params['redirect_uri']}?{query}"})
        return self._grant_code(params, form.getlist("tenant"))

    def _grant_code(self, params: dict[str, str], tenant_ids: list[str]) -> Response:
        code = secrets.token_urlsafe(24)
        with self.state.lock:
            self.state.codes[code] = {**params, "tenant_ids": tenant_ids}
        query = urlencode(
            {"code": code, "state": params.get("state", ""), "scope": params.get("scope", "")}
        )
        return Response(status=302, headers={"Location": f"{params['redirect_uri']}?{query}"})

    def _client(self) -> str | None:
        auth, clients = request.authorization, self.state.clients
        if auth and clients.get(auth.username or "") == auth.password:
            return auth.username
        form_id = request.form.get("client_id", "")
        if form_id and clients.get(form_id) == request.form.get("client_secret"):
            return form_id
        return None

    def token(self) -> Response:
        client_id = self._client()
        if client_id is None:
            return oauth_error("invalid_client", 401)
        grant_type, state = request.form.get("grant_type"), self.state
        with state.lock:
            if grant_type == "authorization_code":
                code = state.codes.pop(request.form.get("code", ""), None)
                if code is None or code["client_id"] != client_id:
                    return oauth_error("invalid_grant")
                if code.get("redirect_uri") != request.form.get("redirect_uri"):
                    return oauth_error("invalid_grant")
                if not _pkce_holds(code, request.form.get("code_verifier")):
                    return oauth_error("invalid_grant")
                grant = Grant(client_id, code["tenant_ids"], code.get("scope", ""), state.clock())
            elif grant_type == "refresh_token":
                old = state.refresh_tokens.get(request.form.get("refresh_token", ""))
                if old is None or old.grant.client_id != client_id:
                    return oauth_error("invalid_grant")
                if state.clock() - old.issued_at > REFRESH_LIFETIME:
                    return oauth_error("invalid_grant")
                if old.rotated_at is None:
                    old.rotated_at = state.clock()
                elif state.clock() - old.rotated_at > state.refresh_grace:
                    return oauth_error("invalid_grant")
                grant = old.grant
                state.refreshes += 1
            else:
                return oauth_error("unsupported_grant_type")
            access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            lifetime = Grant(
                grant.client_id,
                grant.tenant_ids,
                grant.scopes,
                state.clock() + ACCESS_LIFETIME,
                grant.auth_id,
            )
            state.access_tokens[access] = lifetime
            state.refresh_tokens[refresh] = RefreshToken(lifetime, issued_at=state.clock())
            state.issued += [access, refresh]
        return jsonify(
            {
                "access_token": access,
                "refresh_token": refresh,
                "expires_in": int(ACCESS_LIFETIME.total_seconds()),
                "token_type": "Bearer",
                "scope": grant.scopes,
            }
        )

    def revocation(self) -> Response:
        """Revoking a refresh token ends its consent: every token issued from it stops working."""
        if self._client() is None:
            return oauth_error("invalid_client", 401)
        state = self.state
        with state.lock:
            found = state.refresh_tokens.get(request.form.get("token", ""))
            if found is not None:
                auth_id = found.grant.auth_id
                tables: tuple[dict[str, Any], ...] = (state.refresh_tokens, state.access_tokens)
                for table in tables:
                    for token in [t for t, v in table.items() if _auth_of(v) == auth_id]:
                        del table[token]
        return Response(status=200)

    def disconnect_in_xero(self, tenant_id: str) -> int:
        """What a user does under Xero's Connected Apps: the organisation is no longer connected
        to the app (its calls answer 403), while the refresh token keeps working. Returns how
        many consents covered it."""
        with self.state.lock:
            grants = {
                id(t.grant.tenant_ids): t.grant
                for t in [*self.state.refresh_tokens.values()]
                if tenant_id in t.grant.tenant_ids
            }
            for grant in grants.values():
                grant.tenant_ids.remove(tenant_id)  # shared by every token of the consent
        return len(grants)

    def delete_connection(self, connection_id: str) -> Response:
        grant = self.bearer()
        if grant is None:
            return problem(401, "Unauthorized", "AuthenticationUnsuccessful")
        with self.state.lock:
            for tenant_id in list(grant.tenant_ids):
                if connection_id_of(tenant_id) == connection_id:
                    grant.tenant_ids.remove(tenant_id)
                    return Response(status=204)
        return Response(status=404)

    def bearer(self) -> Grant | None:
        """The grant of the request's access token, while it lasts."""
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip()
        with self.state.lock:
            grant = self.state.access_tokens.get(token)
        return grant if grant and grant.expires_at > self.state.clock() else None

    def connections(self) -> Response:
        grant = self.bearer()
        if grant is None:
            return problem(401, "Unauthorized", "AuthenticationUnsuccessful")
        return jsonify(
            [
                {
                    "id": connection_id_of(tenant_id),
                    "authEventId": str(uuid.uuid5(uuid.NAMESPACE_DNS, tenant_id)),
                    "tenantId": tenant_id,
                    "tenantType": "ORGANISATION",
                    "tenantName": self.state.organisations[tenant_id].name,
                    "createdDateUtc": "2026-01-01T00:00:00.0000000Z",
                    "updatedDateUtc": "2026-01-01T00:00:00.0000000Z",
                }
                for tenant_id in grant.tenant_ids
            ]
        )


def connection_id_of(tenant_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, tenant_id))


def _auth_of(token: Grant | RefreshToken) -> str:
    return token.grant.auth_id if isinstance(token, RefreshToken) else token.auth_id


def _pkce_holds(code: dict[str, Any], verifier: str | None) -> bool:
    """RFC 7636: a code asked for with a challenge is redeemed only with its verifier (S256, or
    plain); one asked for without a challenge takes none (as Xero's identity server does)."""
    challenge = code.get("code_challenge")
    if challenge is None:
        return verifier is None
    if verifier is None or not 43 <= len(verifier) <= 128:
        return False
    if code.get("code_challenge_method", "plain") == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        verifier = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return secrets.compare_digest(verifier, challenge)
