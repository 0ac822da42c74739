"""A Xero emulator on one host: OAuth 2.0 (authorize, token, connections) and the accounting
endpoints the integration uses (Contacts, Items, Invoices, Organisation), at Xero's own paths.

Run it alone: python -m local.xero_emulator --port 4010 [--client-id ID --client-secret S]
[--auto-consent]. Point a Xero client's login, identity and API base URLs at it.
"""

from __future__ import annotations

import argparse
import base64
import email.utils
import hashlib
import json
import re
import secrets
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from html import escape
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, abort, g, jsonify, request

ACCESS_LIFETIME = timedelta(minutes=30)
REFRESH_GRACE = timedelta(minutes=30)  # a rotated refresh token stays usable this long
REFRESH_LIFETIME = timedelta(days=60)  # an unused refresh token dies after this
CENT = Decimal("0.01")
TAX_RATES = {"OUTPUT": Decimal("0.15"), "OUTPUT2": Decimal("0.15"), "NONE": Decimal(0)}
REFERENCE_DATA: dict[str, list[dict[str, Any]]] = {
    "Accounts": [
        {
            "AccountID": str(uuid.uuid5(uuid.NAMESPACE_OID, code)),
            "Code": code,
            "Name": name,
            "Type": kind,
            "Status": "ACTIVE",
            "TaxType": tax,
        }
        for code, name, kind, tax in (
            ("200", "Sales", "REVENUE", "OUTPUT"),
            ("260", "Other Revenue", "REVENUE", "OUTPUT"),
            ("400", "Advertising", "EXPENSE", "INPUT"),
            ("610", "Accounts Receivable", "CURRENT", "NONE"),
        )
    ],
    "TaxRates": [
        {
            "Name": name,
            "TaxType": tax,
            "Status": "ACTIVE",
            "EffectiveRate": float(rate * 100),
            "CanApplyToRevenue": True,
        }
        for name, tax, rate in (
            ("GST on Income", "OUTPUT", TAX_RATES["OUTPUT"]),
            ("No GST", "NONE", TAX_RATES["NONE"]),
        )
    ],
}
WHERE_EQUALS = re.compile(r'(\w+)\s*==\s*"((?:[^"\\]|\\.)*)"')
WHERE_GUID = re.compile(r'(\w+)\s*==\s*[Gg]uid\("([0-9A-Fa-f-]{36})"\)')
WHERE_CONTAINS = re.compile(r'(\w+)\.Contains\("((?:[^"\\]|\\.)*)"\)')
WHERE_TERMS = (("guid", WHERE_GUID), ("equals", WHERE_EQUALS), ("contains", WHERE_CONTAINS))
WHERE_JOIN = re.compile(r"\s+(AND|OR)\s+|\s*(&&|\|\|)\s*")


def _money(value: Decimal) -> float:
    return float(value.quantize(CENT, ROUND_HALF_UP))


def _ms_date(day: date) -> str:
    stamp = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
    return f"/Date({stamp}+0000)/"


@dataclass
class Organisation:
    tenant_id: str
    name: str
    currency: str = "USD"
    currencies: set[str] = field(default_factory=lambda: {"EUR", "GBP"})  # besides the base
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    credit_notes: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotency: dict[str, tuple[str, int, Any]] = field(default_factory=dict)
    next_number: int = 1
    # What the rate limiter saw, for tests and benchmarks to check.
    calls_by_minute: dict[str, int] = field(default_factory=dict)
    calls_by_day: dict[str, int] = field(default_factory=dict)
    in_flight: int = 0
    most_in_flight: int = 0
    refused: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Limits:
    """Xero's limits per connected organisation, and across the app."""

    per_minute: int = 60
    per_day: int = 5000
    in_flight: int = 5
    app_per_minute: int = 10000


@dataclass
class Grant:
    """One consent (auth_id) and the tenants it covers; shared by all tokens issued from it."""

    client_id: str
    tenant_ids: list[str]
    scopes: str
    expires_at: datetime
    auth_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class RefreshToken:
    grant: Grant
    issued_at: datetime
    rotated_at: datetime | None = None


class XeroEmulator:
    """The emulator's state and its Flask app. Thread-safe; inspect it directly in tests."""

    def __init__(
        self,
        *,
        client_id: str = "local-client",
        client_secret: str = "local-secret",  # noqa: S107 - the emulator's own test credential
        auto_consent: bool = True,
        organisations: list[str] | None = None,
    ) -> None:
        self.clients = {client_id: client_secret}
        self.auto_consent = auto_consent
        self.lock = threading.RLock()
        self.organisations = {
            org.tenant_id: org
            for org in (
                Organisation(tenant_id=str(uuid.uuid4()), name=name)
                for name in (organisations or ["Demo Reseller Ltd"])
            )
        }
        self.codes: dict[str, dict[str, Any]] = {}
        self.access_tokens: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.refresh_grace = REFRESH_GRACE
        self.refreshes = 0  # refresh grants answered with new tokens
        self.issued: list[str] = []  # every token ever handed out, revoked ones included
        self.clock: Callable[[], datetime] = _now  # tests move time with their own clock
        self.limits = Limits()
        self.app_calls_by_minute: dict[str, int] = {}
        # Faults a test queues for the next accounting calls: "500" answers 500 and does
        # nothing; "429" refuses with Retry-After: fault_retry_after; "commit_then_drop" does
        # the work, then answers 504 as if the reply was lost; "timeout" does the work but
        # answers only after fault_delay seconds (past a short client timeout); "pass" lets
        # one call through.
        self.faults: deque[str] = deque()
        self.fault_retry_after = 3
        self.fault_delay = 1.0
        self.latency = 0.0  # seconds every accounting call takes (real time), to let calls overlap
        self.arrivals: list[datetime] = []  # when each accounting call arrived
        # Each 429: when, its Retry-After, and the index in arrivals of the call it refused.
        self.refusals: list[tuple[datetime, int, int]] = []
        self.calls: list[tuple[str, str]] = []
        self.app = self._build_app()

    # ------------------------------------------------------------------ helpers for tests
    def organisation(self, name: str | None = None) -> Organisation:
        with self.lock:
            return next(o for o in self.organisations.values() if name in (None, o.name))

    # ------------------------------------------------------------------ the app
    def _build_app(self) -> Flask:
        app = Flask("xero_emulator")
        app.add_url_rule("/identity/connect/authorize", view_func=self.authorize, methods=["GET"])
        app.add_url_rule("/identity/connect/consent", view_func=self.consent, methods=["POST"])
        app.add_url_rule("/connect/token", view_func=self.token, methods=["POST"])
        app.add_url_rule("/connect/revocation", view_func=self.revocation, methods=["POST"])
        for path in ("/connections", "/Connections"):
            app.add_url_rule(path, path, view_func=self.connections, methods=["GET"])
            app.add_url_rule(
                f"{path}/<connection_id>",
                f"{path}-delete",
                view_func=self.delete_connection,
                methods=["DELETE"],
            )
        api = "/api.xro/2.0"
        app.add_url_rule(f"{api}/Organisation", view_func=self.get_organisation)
        app.add_url_rule(f"{api}/Contacts", view_func=self.contacts, methods=["GET", "PUT", "POST"])
        app.add_url_rule(f"{api}/Items", view_func=self.items, methods=["GET", "PUT", "POST"])
        app.add_url_rule(f"{api}/Invoices", view_func=self.invoices, methods=["GET", "PUT", "POST"])
        app.add_url_rule(
            f"{api}/CreditNotes", view_func=self.credit_notes, methods=["GET", "PUT", "POST"]
        )
        app.add_url_rule(
            f"{api}/Invoices/<document_id>", view_func=self.update_invoice, methods=["POST"]
        )
        app.add_url_rule(
            f"{api}/CreditNotes/<document_id>/Allocations",
            view_func=self.allocate,
            methods=["PUT"],
        )
        app.add_url_rule(
            f"{api}/CreditNotes/<document_id>",
            "credit_note",
            methods=["GET"],
            view_func=lambda document_id: self._one("CreditNotes", document_id),
        )
        for name in REFERENCE_DATA:
            app.add_url_rule(f"{api}/{name}", name, lambda name=name: self.reference_data(name))
        app.add_url_rule(
            f"{api}/Invoices/<document_id>",
            "invoice",
            methods=["GET"],
            view_func=lambda document_id: self._one("Invoices", document_id),
        )
        app.add_url_rule(
            f"{api}/Contacts/<document_id>",
            "contact",
            methods=["GET"],
            view_func=lambda document_id: self._one("Contacts", document_id),
        )
        app.add_url_rule(
            f"{api}/Items/<document_id>",
            "item",
            methods=["GET"],
            view_func=lambda document_id: self._one("Items", document_id),
        )
        app.after_request(self._after_accounting_call)
        # What Flask itself refuses answers in Xero's JSON, never an HTML page.
        app.register_error_handler(
            400, lambda _e: _problem(400, "ValidationException", "bad request")
        )
        app.register_error_handler(404, lambda _e: _problem(404, "NotFound", "not found"))
        app.register_error_handler(405, lambda _e: _problem(405, "MethodNotAllowed", "not allowed"))
        return app

    # ------------------------------------------------------------------ OAuth 2.0
    def authorize(self) -> Response:
        args = request.args
        if args.get("client_id") not in self.clients or args.get("response_type") != "code":
            return Response("unknown client or response type", status=400)
        if self.auto_consent:
            return self._grant_code(args.to_dict(), [next(iter(self.organisations))])
        options = "".join(
            f'<label><input type="checkbox" name="tenant" value="{o.tenant_id}" checked> '
            f"{escape(o.name)}</label><br>"
            for o in self.organisations.values()
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
        with self.lock:
            self.codes[code] = {**params, "tenant_ids": tenant_ids}
        query = urlencode(
            {"code": code, "state": params.get("state", ""), "scope": params.get("scope", "")}
        )
        return Response(status=302, headers={"Location": f"{params['redirect_uri']}?{query}"})

    def _client(self) -> str | None:
        auth = request.authorization
        if auth and self.clients.get(auth.username or "") == auth.password:
            return auth.username
        form_id = request.form.get("client_id", "")
        if form_id and self.clients.get(form_id) == request.form.get("client_secret"):
            return form_id
        return None

    def token(self) -> Response:
        client_id = self._client()
        if client_id is None:
            return _oauth_error("invalid_client", 401)
        grant_type = request.form.get("grant_type")
        with self.lock:
            if grant_type == "authorization_code":
                code = self.codes.pop(request.form.get("code", ""), None)
                if code is None or code["client_id"] != client_id:
                    return _oauth_error("invalid_grant")
                if code.get("redirect_uri") != request.form.get("redirect_uri"):
                    return _oauth_error("invalid_grant")
                if not _pkce_holds(code, request.form.get("code_verifier")):
                    return _oauth_error("invalid_grant")
                grant = Grant(client_id, code["tenant_ids"], code.get("scope", ""), self.clock())
            elif grant_type == "refresh_token":
                old = self.refresh_tokens.get(request.form.get("refresh_token", ""))
                if old is None or old.grant.client_id != client_id:
                    return _oauth_error("invalid_grant")
                if self.clock() - old.issued_at > REFRESH_LIFETIME:
                    return _oauth_error("invalid_grant")
                if old.rotated_at is None:
                    old.rotated_at = self.clock()
                elif self.clock() - old.rotated_at > self.refresh_grace:
                    return _oauth_error("invalid_grant")
                grant = old.grant
                self.refreshes += 1
            else:
                return _oauth_error("unsupported_grant_type")
            access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            lifetime = Grant(
                grant.client_id,
                grant.tenant_ids,
                grant.scopes,
                self.clock() + ACCESS_LIFETIME,
                grant.auth_id,
            )
            self.access_tokens[access] = lifetime
            self.refresh_tokens[refresh] = RefreshToken(lifetime, issued_at=self.clock())
            self.issued += [access, refresh]
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
            return _oauth_error("invalid_client", 401)
        with self.lock:
            found = self.refresh_tokens.get(request.form.get("token", ""))
            if found is not None:
                auth_id = found.grant.auth_id
                for table in (self.refresh_tokens, self.access_tokens):
                    for token in [t for t, v in table.items() if _auth_of(v) == auth_id]:
                        del table[token]
        return Response(status=200)

    def disconnect_in_xero(self, tenant_id: str) -> int:
        """What a user does under Xero's Connected Apps: the organisation is no longer connected
        to the app (its calls answer 403), while the refresh token keeps working. Returns how
        many consents covered it."""
        with self.lock:
            grants = {
                id(t.grant.tenant_ids): t.grant
                for t in [*self.refresh_tokens.values()]
                if tenant_id in t.grant.tenant_ids
            }
            for grant in grants.values():
                grant.tenant_ids.remove(tenant_id)  # shared by every token of the consent
        return len(grants)

    def delete_connection(self, connection_id: str) -> Response:
        grant = self._grant()
        if grant is None:
            return _problem(401, "Unauthorized", "AuthenticationUnsuccessful")
        with self.lock:
            for tenant_id in list(grant.tenant_ids):
                if _connection_id(tenant_id) == connection_id:
                    grant.tenant_ids.remove(tenant_id)
                    return Response(status=204)
        return Response(status=404)

    def _grant(self) -> Grant | None:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip()
        with self.lock:
            grant = self.access_tokens.get(token)
        return grant if grant and grant.expires_at > self.clock() else None

    def connections(self) -> Response:
        grant = self._grant()
        if grant is None:
            return _problem(401, "Unauthorized", "AuthenticationUnsuccessful")
        return jsonify(
            [
                {
                    "id": _connection_id(tenant_id),
                    "authEventId": str(uuid.uuid5(uuid.NAMESPACE_DNS, tenant_id)),
                    "tenantId": tenant_id,
                    "tenantType": "ORGANISATION",
                    "tenantName": self.organisations[tenant_id].name,
                    "createdDateUtc": "2026-01-01T00:00:00.0000000Z",
                    "updatedDateUtc": "2026-01-01T00:00:00.0000000Z",
                }
                for tenant_id in grant.tenant_ids
            ]
        )

    # ------------------------------------------------------------------ accounting
    def _org(self) -> Organisation | Response:
        grant = self._grant()
        if grant is None:
            return _problem(401, "Unauthorized", "AuthenticationUnsuccessful")
        tenant_id = request.headers.get("xero-tenant-id", "")
        if tenant_id not in grant.tenant_ids:
            return _forbidden()
        org = self.organisations[tenant_id]
        with self.lock:
            self.arrivals.append(self.clock())
            if self.faults and self.faults[0] == "429":
                self.faults.popleft()
                return self._refuse(org, "minute", self.fault_retry_after)
            refused = self._over_limit(org)
            if refused is not None:
                return refused
            self.calls.append((request.method, request.path))
            org.in_flight += 1
            org.most_in_flight = max(org.most_in_flight, org.in_flight)
            g.org = org
            fault = self.faults.popleft() if self.faults else None
        if fault == "500":
            return _problem(500, "InternalError", "injected fault")
        if fault == "timeout":
            time.sleep(self.fault_delay)  # real time: the client's own timeout must fire
        elif self.latency:
            time.sleep(self.latency)
        g.drop = fault == "commit_then_drop"
        return org

    def _over_limit(self, org: Organisation) -> Response | None:
        """Count the call against Xero's limits, or answer 429 as Xero does."""
        now = self.clock()
        minute, day = now.strftime("%Y%m%d%H%M"), now.strftime("%Y%m%d")
        next_minute = 60 - now.second
        problem, retry_after = None, 0
        if org.in_flight >= self.limits.in_flight:
            problem, retry_after = "concurrent", 1
        elif org.calls_by_minute.get(minute, 0) >= self.limits.per_minute:
            problem, retry_after = "minute", next_minute
        elif org.calls_by_day.get(day, 0) >= self.limits.per_day:
            problem, retry_after = "day", 86400 - (now.hour * 3600 + now.minute * 60 + now.second)
        elif self.app_calls_by_minute.get(minute, 0) >= self.limits.app_per_minute:
            problem, retry_after = "appminute", next_minute
        if problem is not None:
            return self._refuse(org, problem, retry_after)
        org.calls_by_minute[minute] = org.calls_by_minute.get(minute, 0) + 1
        org.calls_by_day[day] = org.calls_by_day.get(day, 0) + 1
        self.app_calls_by_minute[minute] = self.app_calls_by_minute.get(minute, 0) + 1
        return None

    def _refuse(self, org: Organisation, problem: str, retry_after: int) -> Response:
        org.refused[problem] = org.refused.get(problem, 0) + 1
        self.refusals.append((self.clock(), retry_after, len(self.arrivals) - 1))
        response = _problem(429, "RateLimitExceeded", f"{problem} rate limit exceeded")
        response.headers["Retry-After"] = str(retry_after)
        response.headers["X-Rate-Limit-Problem"] = problem
        return response

    def _after_accounting_call(self, response: Response) -> Response:
        org: Organisation | None = g.pop("org", None)
        if org is None:
            return response
        now = self.clock()
        minute, day = now.strftime("%Y%m%d%H%M"), now.strftime("%Y%m%d")
        with self.lock:
            org.in_flight -= 1
            used_minute = org.calls_by_minute.get(minute, 0)
            used_day = org.calls_by_day.get(day, 0)
            used_app = self.app_calls_by_minute.get(minute, 0)
        response.headers["X-MinLimit-Remaining"] = str(max(0, self.limits.per_minute - used_minute))
        response.headers["X-DayLimit-Remaining"] = str(max(0, self.limits.per_day - used_day))
        response.headers["X-AppMinLimit-Remaining"] = str(
            max(0, self.limits.app_per_minute - used_app)
        )
        if g.pop("drop", False):
            return _problem(504, "GatewayTimeout", "the answer was lost (injected fault)")
        return response

    def _write(self, org: Organisation, create: Any) -> Response:
        """Runs a write once per Idempotency-Key: a replay returns the first answer."""
        key = request.headers.get("Idempotency-Key")
        fingerprint = hashlib.sha256(request.get_data()).hexdigest()
        with self.lock:
            if key and key in org.idempotency:
                seen, status, body = org.idempotency[key]
                if seen != fingerprint:
                    return _problem(400, "ValidationException", "Idempotency-Key reused")
                return Response(json.dumps(body), status=status, mimetype="application/json")
            status, body = create()
            if key:
                org.idempotency[key] = (fingerprint, status, body)
        return Response(json.dumps(body), status=status, mimetype="application/json")

    def get_organisation(self) -> Response:
        org = self._org()
        if isinstance(org, Response):
            return org
        return _envelope(
            "Organisations",
            [{"OrganisationID": org.tenant_id, "Name": org.name, "BaseCurrency": org.currency}],
        )

    def _collection(
        self,
        name: str,
        rows: Callable[[Organisation], dict[str, dict[str, Any]]],
        make: Callable[[Organisation, dict[str, Any]], dict[str, Any]],
    ) -> Response:
        """GET lists (with `where`); PUT/POST creates each document of the body, once per key."""
        org = self._org()
        if isinstance(org, Response):
            return org
        if request.method == "GET":
            return _envelope(
                name, _page(_ordered(_filtered(_modified_since(_where(list(rows(org).values()))))))
            )

        documents = _documents(name)
        if isinstance(documents, Response):
            return documents

        def create() -> tuple[int, Any]:
            made = []
            for raw in documents:
                errors = _shape_errors(name, raw)
                document = _with_errors(dict(raw), errors) if errors else make(org, dict(raw))
                if not document.get("HasErrors"):  # Xero stamps every document it stores
                    document.setdefault("UpdatedDateUTC", _ms_time(self.clock()))
                made.append(document)
            return _batch_result(name, made)

        return self._write(org, create)

    def contacts(self) -> Response:
        return self._collection("Contacts", lambda org: org.contacts, self._new_contact)

    def items(self) -> Response:
        return self._collection("Items", lambda org: org.items, self._new_item)

    def invoices(self) -> Response:
        places = _unit_places()
        return self._collection(
            "Invoices",
            lambda org: org.invoices,
            lambda org, raw: self._new_invoice(org, raw, places),
        )

    def credit_notes(self) -> Response:
        places = _unit_places()
        return self._collection(
            "CreditNotes",
            lambda org: org.credit_notes,
            lambda org, raw: self._new_credit_note(org, raw, places),
        )

    def reference_data(self, name: str) -> Response:
        org = self._org()
        if isinstance(org, Response):
            return org
        return _envelope(name, _where(REFERENCE_DATA[name]))

    @staticmethod
    def _new_contact(org: Organisation, contact: dict[str, Any]) -> dict[str, Any]:
        errors = []
        names = {c["Name"].lower() for c in org.contacts.values()}
        if not contact.get("Name") or not isinstance(contact["Name"], str):
            errors.append("Contact name is required")
        elif contact["Name"].lower() in names:
            errors.append("The contact name is already assigned to another contact.")
        if not errors:
            contact.update(ContactID=str(uuid.uuid4()), ContactStatus="ACTIVE")
            org.contacts[contact["ContactID"]] = contact
        return _with_errors(contact, errors)

    @staticmethod
    def _new_item(org: Organisation, item: dict[str, Any]) -> dict[str, Any]:
        errors = []
        if not isinstance(item.get("Code"), str) or not 1 <= len(item["Code"]) <= 30:
            errors.append("Item code must be 1 to 30 characters")
        elif any(i["Code"] == item["Code"] for i in org.items.values()):
            errors.append(f"Item code '{item['Code']}' already exists")
        if not errors:
            item.update(ItemID=str(uuid.uuid4()), IsSold=True)
            org.items[item["ItemID"]] = item
        return _with_errors(item, errors)

    def _one(self, name: str, document_id: str) -> Response:
        """GET /<Collection>/<id>: one document by its id (an item also by its code)."""
        org = self._org()
        if isinstance(org, Response):
            return org
        rows: dict[str, dict[str, Any]] = {
            "Invoices": org.invoices,
            "CreditNotes": org.credit_notes,
            "Contacts": org.contacts,
            "Items": org.items,
        }[name]
        # By id, or by the other key Xero documents for the path: number, contact number, code.
        other_key = {
            "Invoices": "InvoiceNumber",
            "CreditNotes": "CreditNoteNumber",
            "Contacts": "ContactNumber",
            "Items": "Code",
        }[name]
        found = rows.get(document_id) or next(
            (row for row in rows.values() if row.get(other_key) == document_id), None
        )
        if found is None:
            return _problem(404, "NotFound", "The resource you're looking for cannot be found")
        return _envelope(name, [found])

    def _new_invoice(self, org: Organisation, raw: dict[str, Any], places: int) -> dict[str, Any]:
        number = raw.get("InvoiceNumber")
        taken = number and any(
            i.get("InvoiceNumber") == number and i["Type"] == "ACCREC"
            for i in org.invoices.values()
        )
        errors = _document_errors(org, raw) + (["Invoice # must be unique."] if taken else [])
        if errors:
            return _with_errors(dict(raw), errors)
        invoice = self._priced(org, raw, places)
        if not number:
            number = f"INV-{org.next_number:04d}"
            org.next_number += 1
        due = _date(raw["DueDate"]) if raw.get("DueDate") else self.clock().date()
        invoice.update(
            Type=raw.get("Type", "ACCREC"),
            InvoiceID=str(uuid.uuid4()),
            InvoiceNumber=number,
            DueDate=_ms_date(due),
            DueDateString=f"{due.isoformat()}T00:00:00",
            AmountDue=invoice["Total"],
            AmountPaid=0.0,
            AmountCredited=0.0,
        )
        org.invoices[invoice["InvoiceID"]] = invoice
        return invoice

    def _new_credit_note(
        self, org: Organisation, raw: dict[str, Any], places: int
    ) -> dict[str, Any]:
        errors = _document_errors(org, raw)
        if errors:
            return _with_errors(dict(raw), errors)
        note = self._priced(org, raw, places)
        number = raw.get("CreditNoteNumber") or f"CN-{len(org.credit_notes) + 1:04d}"
        note.update(
            Type=raw.get("Type", "ACCRECCREDIT"),
            CreditNoteID=str(uuid.uuid4()),
            CreditNoteNumber=number,
            RemainingCredit=note["Total"],
            Allocations=[],
        )
        org.credit_notes[note["CreditNoteID"]] = note
        return note

    def _priced(self, org: Organisation, raw: dict[str, Any], places: int) -> dict[str, Any]:
        """Lines and totals as Xero computes them: unit amounts to `places`, money to cents."""
        unit = Decimal(1).scaleb(-places)
        amount_types = raw.get("LineAmountTypes", "Exclusive")
        lines, sub_total, total_tax = [], Decimal(0), Decimal(0)
        for line in raw["LineItems"]:
            quantity = Decimal(str(line.get("Quantity", 1)))
            unit_amount = Decimal(str(line.get("UnitAmount", 0))).quantize(unit, ROUND_HALF_UP)
            discount = Decimal(str(line.get("DiscountAmount", 0)))
            line_amount = (quantity * unit_amount).quantize(CENT, ROUND_HALF_UP) - discount
            rate = TAX_RATES.get(line.get("TaxType", "NONE"), Decimal(0))
            if amount_types == "Inclusive":
                tax = (line_amount - line_amount / (1 + rate)).quantize(CENT, ROUND_HALF_UP)
                sub_total += line_amount - tax
            else:
                taxed = amount_types == "Exclusive"
                tax = (line_amount * rate).quantize(CENT, ROUND_HALF_UP) if taxed else Decimal(0)
                sub_total += line_amount
            total_tax += tax
            lines.append(
                {
                    **line,
                    "LineItemID": line.get("LineItemID") or str(uuid.uuid4()),  # kept on update
                    "Quantity": float(quantity),
                    "UnitAmount": float(unit_amount),
                    "LineAmount": _money(line_amount),
                    "TaxAmount": _money(tax),
                }
            )
        day = _date(raw["Date"]) if raw.get("Date") else self.clock().date()
        contact_id = str(raw["Contact"]["ContactID"])
        return {
            "Reference": raw.get("Reference", ""),
            "Contact": org.contacts[contact_id],
            "Date": _ms_date(day),
            "DateString": f"{day.isoformat()}T00:00:00",
            "Status": raw.get("Status", "DRAFT"),
            "LineAmountTypes": amount_types,
            "LineItems": lines,
            "SubTotal": _money(sub_total),
            "TotalTax": _money(total_tax),
            "Total": _money(sub_total + total_tax),
            "CurrencyCode": raw.get("CurrencyCode", org.currency),
            "UpdatedDateUTC": _ms_time(self.clock()),
            "HasErrors": False,
        }

    def update_invoice(self, document_id: str) -> Response:
        """POST /Invoices/{id}: drafts, submitted and untouched authorised invoices may change."""
        org = self._org()
        if isinstance(org, Response):
            return org
        places = _unit_places()

        def update() -> tuple[int, Any]:
            current = org.invoices.get(document_id)
            if current is None:
                return 404, {"Type": "NotFound", "Message": "The resource cannot be found"}
            documents = _documents("Invoices")
            if isinstance(documents, Response) or len(documents) != 1:
                return 400, _validation_failure("Send one invoice in Invoices")
            (raw,) = documents
            errors = _shape_errors("Invoices", raw)
            contact = raw.get("Contact")
            if isinstance(contact, dict) and str(contact.get("ContactID")) not in org.contacts:
                errors.append("A valid contact is required")
            if errors:
                pass
            elif current["Status"] not in ("DRAFT", "SUBMITTED", "AUTHORISED"):
                errors.append(f"Invoice not of valid status for modification: {current['Status']}")
            elif current["AmountPaid"] or current["AmountCredited"]:
                errors.append(
                    "This document cannot be edited as it has a payment or credit note "
                    "allocated to it."
                )
            if errors:
                return _batch_result("Invoices", [_with_errors(dict(raw), errors)])
            merged = {**current, **raw, "Contact": raw.get("Contact", current["Contact"])}
            updated = {**current, **self._priced(org, merged, places)}
            updated.update(AmountDue=updated["Total"])
            org.invoices[document_id] = updated
            return _batch_result("Invoices", [updated])

        return self._write(org, update)

    def allocate(self, document_id: str) -> Response:
        """PUT /CreditNotes/{id}/Allocations: credit applied to an authorised invoice's balance."""
        org = self._org()
        if isinstance(org, Response):
            return org

        def create() -> tuple[int, Any]:
            note = org.credit_notes.get(document_id)
            if note is None:
                return 404, {"Type": "NotFound", "Message": "The resource cannot be found"}
            documents = _documents("Allocations")
            if isinstance(documents, Response):
                return 400, _validation_failure("Send the allocations in Allocations")
            made = []
            for raw in documents:
                errors = _shape_errors("Allocations", raw)
                invoice_ref = raw.get("Invoice")
                invoice_id = invoice_ref.get("InvoiceID") if isinstance(invoice_ref, dict) else None
                invoice = org.invoices.get(str(invoice_id)) if not errors else None
                amount = Decimal(str(raw.get("Amount", 0))) if not errors else Decimal(0)
                if errors:
                    pass
                elif invoice is None or invoice["Status"] != "AUTHORISED":
                    errors.append("Allocations need an authorised invoice")
                elif note["Status"] != "AUTHORISED":
                    errors.append("Only an authorised credit note can be allocated")
                elif amount <= 0 or amount > Decimal(str(note["RemainingCredit"])):
                    errors.append("Amount must be more than zero and no more than the credit left")
                elif amount > Decimal(str(invoice["AmountDue"])):
                    errors.append("Amount can not be more than the amount due on the invoice")
                if errors or invoice is None:
                    made.append(_with_errors(dict(raw), errors))
                    continue
                invoice["AmountCredited"] = _money(Decimal(str(invoice["AmountCredited"])) + amount)
                invoice["AmountDue"] = _money(Decimal(str(invoice["AmountDue"])) - amount)
                if invoice["AmountDue"] == 0:
                    invoice["Status"] = "PAID"
                note["RemainingCredit"] = _money(Decimal(str(note["RemainingCredit"])) - amount)
                if note["RemainingCredit"] == 0:
                    note["Status"] = "PAID"
                allocation = {
                    "AllocationID": str(uuid.uuid4()),
                    "Amount": _money(amount),
                    "Date": _ms_date(self.clock().date()),
                    "Invoice": {"InvoiceID": invoice["InvoiceID"]},
                    "CreditNote": {"CreditNoteID": document_id},
                }
                note["Allocations"].append(allocation)
                made.append(allocation)
            return _batch_result("Allocations", made)

        return self._write(org, create)


def _now() -> datetime:
    return datetime.now(UTC)


def _date(value: str) -> date:
    """Xero takes "2026-11-25", "2026-11-25T00:00:00" and its own "/Date(1795564800000+0000)/"."""
    found = re.fullmatch(r"/Date\((-?\d+)([+-]\d{4})?\)/", value)
    if found:
        return datetime.fromtimestamp(int(found.group(1)) / 1000, tz=UTC).date()
    return date.fromisoformat(value[:10])


def _unit_places() -> int:
    """unitdp=4 keeps unit amounts to 4 decimal places; Xero rounds them to 2 otherwise."""
    return 4 if request.args.get("unitdp") == "4" else 2


def _ms_time(at: datetime) -> str:
    return f"/Date({int(at.timestamp() * 1000)}+0000)/"


def _document_errors(org: Organisation, raw: dict[str, Any]) -> list[str]:
    errors = []
    currency = raw.get("CurrencyCode") or org.currency
    if currency != org.currency and currency not in org.currencies:
        errors.append(f"Organisation is not subscribed to currency {currency}")
    if str((raw.get("Contact") or {}).get("ContactID", "")) not in org.contacts:
        errors.append("A valid contact is required")
    if not raw.get("LineItems"):
        errors.append("At least one line item is required")
    return errors


PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


def _page(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Xero's `page` (from 1) and `pageSize` (100 by default, at most 1000); without a page,
    everything. Values that are not positive numbers are ignored, as Xero does."""
    page, size = request.args.get("page", ""), request.args.get("pageSize", "")
    if not (page.isascii() and page.isdigit()) or int(page) < 1:
        return rows
    per_page = min(int(size), MAX_PAGE_SIZE) if size.isascii() and size.isdigit() else PAGE_SIZE
    per_page = per_page or PAGE_SIZE
    start = (int(page) - 1) * per_page
    return rows[start : start + per_page]


def _modified_since(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    since = _http_instant(request.headers.get("If-Modified-Since", ""))
    if since is None:  # absent or not a date: ignored, as HTTP says of a bad If-Modified-Since
        return rows
    cutoff = since.timestamp() * 1000
    return [
        row
        for row in rows
        if int(re.sub(r"\D.*", "", str(row.get("UpdatedDateUTC", "/Date(0")[6:])) or 0) > cutoff
    ]


def _connection_id(tenant_id: str) -> str:
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


def _oauth_error(error: str, status: int = 400) -> Response:
    return Response(json.dumps({"error": error}), status=status, mimetype="application/json")


def _forbidden() -> Response:
    """Xero's answer when xero-tenant-id names an organisation the token may not use (missing,
    wrong, or disconnected by the user in Xero): an RFC 7807 problem, as in Xero's docs."""
    body = {
        "Type": None,
        "Title": "Forbidden",
        "Status": 403,
        "Detail": "AuthenticationUnsuccessful",
        "Instance": str(uuid.uuid4()),
    }
    return Response(json.dumps(body), status=403, mimetype="application/json")


def _problem(status: int, kind: str, message: str) -> Response:
    body = {"ErrorNumber": 10 if status == 400 else status, "Type": kind, "Message": message}
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _envelope(name: str, rows: list[dict[str, Any]]) -> Response:
    return jsonify(
        {
            "Id": str(uuid.uuid4()),
            "Status": "OK",
            "ProviderName": "cbxero",
            "DateTimeUTC": _ms_date(_now().date()),
            name: rows,
        }
    )


def _with_errors(document: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    if errors:
        document.update(
            HasErrors=True,
            StatusAttributeString="ERROR",
            ValidationErrors=[{"Message": message} for message in errors],
        )
    return document


def _batch_result(name: str, results: list[dict[str, Any]]) -> tuple[int, Any]:
    """With summarizeErrors=false every document comes back with its own errors (200);
    otherwise any error fails the whole request with Xero's ValidationException (400)."""
    summarize = request.args.get("summarizeErrors", "true").lower() != "false"
    failed = [r for r in results if r.get("HasErrors")]
    if summarize and failed:
        return 400, {
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": "A validation exception occurred",
            "Elements": failed,
        }
    return 200, {"Id": str(uuid.uuid4()), "Status": "OK", name: results}


def _where(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Xero's `where` filter, for the forms the integration sends: Field=="value",
    Field==Guid("id") and Field.Contains("value") joined by AND, and groups of those joined by
    OR. A clause it cannot read whole is Xero's 400, never ignored (which would match all)."""
    clause = request.args.get("where")
    if not clause:
        return rows
    groups = _where_groups(clause.strip())
    if groups is None:
        abort(_problem(400, "ValidationException", f"The where clause cannot be read: {clause}"))

    def matches(row: dict[str, Any], terms: list[tuple[str, str, str]]) -> bool:
        for kind, name, value in terms:
            held = str(row.get(name, ""))
            if kind == "guid" and held.lower() != value.lower():
                return False
            if (kind == "equals" and held != value) or (kind == "contains" and value not in held):
                return False
        return True

    return [row for row in rows if any(matches(row, terms) for terms in groups)]


def _where_groups(clause: str) -> list[list[tuple[str, str, str]]] | None:
    """The clause read term by term: OR-ed groups of AND-ed (kind, field, value); None when any
    part of it is not a term or a joiner."""
    groups: list[list[tuple[str, str, str]]] = [[]]
    at = 0
    while True:
        read = next(
            (
                (kind, term)
                for kind, pattern in WHERE_TERMS
                if (term := pattern.match(clause, at)) is not None
            ),
            None,
        )
        if read is None:
            return None
        kind, term = read
        groups[-1].append((kind, term.group(1), term.group(2).replace('\\"', '"')))
        at = term.end()
        if at == len(clause):
            return groups
        joiner = WHERE_JOIN.match(clause, at)
        if joiner is None:
            return None
        if (joiner.group(1) or joiner.group(2)) in ("OR", "||"):
            groups.append([])
        at = joiner.end()


# Xero's list parameters for invoices and credit notes: comma-separated values of a field.
LIST_FILTERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "IDs": lambda row: row.get("InvoiceID") or row.get("CreditNoteID") or row.get("ContactID"),
    "InvoiceNumbers": lambda row: row.get("InvoiceNumber"),
    "ContactIDs": lambda row: (row.get("Contact") or {}).get("ContactID"),
    "Statuses": lambda row: row.get("Status"),
}


# The fields Xero's `searchTerm` looks in (case-insensitive, anywhere in the value).
SEARCHED = ("Name", "FirstName", "LastName", "ContactNumber", "EmailAddress", "CompanyNumber")
SEARCHED_DOCUMENTS = ("InvoiceNumber", "Reference")


def _filtered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for name, field_of in LIST_FILTERS.items():
        if request.args.get(name):
            wanted = set(request.args[name].split(","))
            rows = [row for row in rows if field_of(row) in wanted]
    term = request.args.get("searchTerm", "").casefold()
    if term:
        rows = [
            row
            for row in rows
            if any(term in str(row.get(f) or "").casefold() for f in SEARCHED + SEARCHED_DOCUMENTS)
        ]
    if request.args.get("includeArchived", "").lower() != "true":
        rows = [row for row in rows if row.get("ContactStatus") != "ARCHIVED"]
    return rows


def _ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`order=Field [DESC]`; the emulator orders by Date (then creation) or keeps its own order."""
    order = request.args.get("order", "").split()
    if not order or order[0] != "Date":
        return rows
    newest_first = len(order) > 1 and order[1].upper() == "DESC"
    keyed = sorted(enumerate(rows), key=lambda pair: (_date(pair[1]["Date"]), pair[0]))
    return [row for _, row in (reversed(keyed) if newest_first else keyed)]


def _validation_failure(message: str) -> dict[str, Any]:
    return {"ErrorNumber": 10, "Type": "ValidationException", "Message": message}


def _documents(name: str) -> list[dict[str, Any]] | Response:
    """The body's documents, `{"<Collection>": [{...}, ...]}`; anything else is Xero's 400."""
    body = request.get_json(silent=True)
    documents = body.get(name) if isinstance(body, dict) else None
    if not isinstance(documents, list) or not all(isinstance(d, dict) for d in documents):
        return _problem(400, "ValidationException", f"The request body must carry {name}")
    return documents


def _number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return False
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return False
    return number.is_finite() and abs(number) < MOST  # Xero's amounts fit in 13 digits


def _a_date(value: Any) -> bool:
    try:
        _date(value)
    except (TypeError, ValueError, OverflowError, OSError):
        return False
    return True


MOST = Decimal(10) ** 12
INVOICE_STATUSES = {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED", "VOIDED", "PAID"}
LINE_AMOUNT_TYPES = {"Exclusive", "Inclusive", "NoTax"}


def _shape_errors(name: str, raw: dict[str, Any]) -> list[str]:
    """What Xero refuses in a document's fields before any rule: wrong types and values."""
    errors = []
    if name in ("Invoices", "CreditNotes"):
        if not isinstance(raw.get("Contact", {}), dict):
            errors.append("Contact must be an object with a ContactID")
        lines = raw.get("LineItems", [])
        if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
            errors.append("LineItems must be a list of line items")
            lines = []
        for n, line in enumerate(lines, 1):
            for key in ("Quantity", "UnitAmount", "DiscountAmount"):
                if key in line and not _number(line[key]):
                    errors.append(f"Line {n}: {key} must be a number")
            if not isinstance(line.get("TaxType", ""), str):
                errors.append(f"Line {n}: TaxType must be a string")
        for key in ("Date", "DueDate"):
            if raw.get(key) is not None and not _a_date(raw[key]):
                errors.append(f"{key} is not a date")
        if raw.get("LineAmountTypes", "Exclusive") not in LINE_AMOUNT_TYPES:
            errors.append("LineAmountTypes must be Exclusive, Inclusive or NoTax")
        if raw.get("Status", "DRAFT") not in INVOICE_STATUSES:
            errors.append("Status is not one Xero knows")
        for key in ("Reference", "CurrencyCode", "InvoiceNumber", "CreditNoteNumber", "Type"):
            if key in raw and not isinstance(raw[key], str):
                errors.append(f"{key} must be a string")
    if name == "Allocations":
        if not _number(raw.get("Amount", 0)):
            errors.append("Amount must be a number")
        if not isinstance(raw.get("Invoice", {}), dict):
            errors.append("Invoice must be an object with an InvoiceID")
    return errors


def _http_instant(value: str) -> datetime | None:
    """If-Modified-Since as Xero takes it (ISO 8601, any offset, no offset = UTC) or as an HTTP
    date, as a UTC instant; None when absent or unreadable."""
    text = value.strip()
    if not text or not text.isascii():
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Xero emulator (OAuth 2.0 + accounting API)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4010)
    parser.add_argument("--client-id", default="local-client")
    parser.add_argument("--client-secret", default="local-secret")
    parser.add_argument("--auto-consent", action="store_true")
    parser.add_argument("--organisation", action="append", dest="organisations")
    args = parser.parse_args(argv)
    emulator = XeroEmulator(
        client_id=args.client_id,
        client_secret=args.client_secret,
        auto_consent=args.auto_consent,
        organisations=args.organisations,
    )
    print(f"Xero emulator on http://{args.host}:{args.port} (client id {args.client_id})")
    emulator.app.run(host=args.host, port=args.port, threaded=True)
    return 0
