"""The accounting endpoints at Xero's paths: Organisation, Contacts, Items, Invoices,
CreditNotes with their Allocations, Payments, Accounts, TaxRates, TrackingCategories and
Currencies. Every call passes the `Gate` first; every write runs once per Idempotency-Key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, request

from local.xero_emulator import documents, queries
from local.xero_emulator import payments as payment_rules
from local.xero_emulator.limits import Gate
from local.xero_emulator.replies import (
    batch_result,
    documents_of,
    envelope,
    ms_time,
    problem,
    validation_failure,
    with_errors,
)
from local.xero_emulator.state import EmulatorState, Organisation

API = "/api.xro/2.0"
# GET /<Collection>/<id> finds a document by its id, or by the other key Xero documents for
# the path: number, contact number, code.
OTHER_KEY = {
    "Invoices": "InvoiceNumber",
    "CreditNotes": "CreditNoteNumber",
    "Contacts": "ContactNumber",
    "Items": "Code",
}

Maker = Callable[[Organisation, dict[str, Any]], dict[str, Any]]


class Accounting:
    def __init__(self, state: EmulatorState, gate: Gate) -> None:
        self.state = state
        self.gate = gate

    def route(self, app: Flask) -> None:
        app.add_url_rule(f"{API}/Organisation", view_func=self.organisation)
        for name, view in (
            ("Contacts", self.contacts),
            ("Items", self.items),
            ("Invoices", self.invoices),
            ("CreditNotes", self.credit_notes),
            ("Payments", self.payments),
        ):
            app.add_url_rule(f"{API}/{name}", view_func=view, methods=["GET", "PUT", "POST"])
        app.add_url_rule(
            f"{API}/Invoices/<document_id>", view_func=self.update_invoice, methods=["POST"]
        )
        app.add_url_rule(
            f"{API}/CreditNotes/<document_id>/Allocations",
            view_func=self.allocate,
            methods=["PUT"],
        )
        for name, endpoint in (
            ("CreditNotes", "credit_note"),
            ("Invoices", "invoice"),
            ("Contacts", "contact"),
            ("Items", "item"),
            ("Payments", "payment"),
        ):
            app.add_url_rule(
                f"{API}/{name}/<document_id>",
                endpoint,
                methods=["GET"],
                view_func=lambda document_id, name=name: self.one(name, document_id),
            )
        app.add_url_rule(f"{API}/Currencies", view_func=self.currencies)
        for name in documents.REFERENCE_DATA:
            app.add_url_rule(f"{API}/{name}", name, lambda name=name: self.reference_data(name))
        app.after_request(self.gate.after_call)

    def _write(self, org: Organisation, create: Callable[[], tuple[int, Any]]) -> Response:
        """Runs a write once per Idempotency-Key: a replay returns the first answer."""
        key = request.headers.get("Idempotency-Key")
        fingerprint = hashlib.sha256(request.get_data()).hexdigest()
        with self.state.lock:
            if key and key in org.idempotency:
                seen, status, body = org.idempotency[key]
                if seen != fingerprint:
                    return problem(400, "ValidationException", "Idempotency-Key reused")
                return Response(json.dumps(body), status=status, mimetype="application/json")
            status, body = create()
            if key:
                org.idempotency[key] = (fingerprint, status, body)
        return Response(json.dumps(body), status=status, mimetype="application/json")

    def organisation(self) -> Response:
        org = self.gate.admit()
        if isinstance(org, Response):
            return org
        return envelope(
            "Organisations",
            [{"OrganisationID": org.tenant_id, "Name": org.name, "BaseCurrency": org.currency}],
        )

    def _collection(
        self, name: str, rows: Callable[[Organisation], dict[str, dict[str, Any]]], make: Maker
    ) -> Response:
        """GET lists (with `where`); PUT/POST creates each document of the body, once per key."""
        org = self.gate.admit()
        if isinstance(org, Response):
            return org
        if request.method == "GET":
            return envelope(name, queries.listed(name, list(rows(org).values())))

        raws = documents_of(name)
        if isinstance(raws, Response):
            return raws

        def create() -> tuple[int, Any]:
            made = []
            for raw in raws:
                errors = documents.shape_errors(name, raw)
                document = with_errors(dict(raw), errors) if errors else make(org, dict(raw))
                if not document.get("HasErrors"):  # Xero stamps every document it stores
                    document.setdefault("UpdatedDateUTC", ms_time(self.state.clock()))
                    self.state.webhooks.changed(org, name, document, created=True)
                made.append(document)
            return batch_result(name, made)

        return self._write(org, create)

    def contacts(self) -> Response:
        return self._collection("Contacts", lambda org: org.contacts, documents.new_contact)

    def items(self) -> Response:
        return self._collection("Items", lambda org: org.items, documents.new_item)

    def invoices(self) -> Response:
        places = queries.unit_places()
        return self._collection(
            "Invoices",
            lambda org: org.invoices,
            lambda org, raw: documents.new_invoice(org, raw, places, self.state.clock()),
        )

    def credit_notes(self) -> Response:
        places = queries.unit_places()
        return self._collection(
            "CreditNotes",
            lambda org: org.credit_notes,
            lambda org, raw: documents.new_credit_note(org, raw, places, self.state.clock()),
        )

    def payments(self) -> Response:
        def pay(org: Organisation, raw: dict[str, Any]) -> dict[str, Any]:
            made = payment_rules.new_payment(org, raw, self.state.clock())
            if not made.get("HasValidationErrors"):  # the invoice changed: Xero says so
                invoice = org.invoices[made["Invoice"]["InvoiceID"]]
                self.state.webhooks.changed(org, "Invoices", invoice, created=False)
            return made

        return self._collection("Payments", lambda org: org.payments, pay)

    def reference_data(self, name: str) -> Response:
        org = self.gate.admit()
        if isinstance(org, Response):
            return org
        rows = org.chart.get(name, documents.REFERENCE_DATA[name])
        if name == "TrackingCategories" and request.args.get("includeArchived") != "true":
            # Xero lists archived categories and options only when asked to.
            rows = [
                {**row, "Options": [o for o in row["Options"] if o["Status"] == "ACTIVE"]}
                for row in rows
                if row["Status"] == "ACTIVE"
            ]
        return envelope(name, queries.where(name, rows))

    def currencies(self) -> Response:
        """The organisation's enabled currencies, its base currency first (as Xero lists it)."""
        org = self.gate.admit()
        if isinstance(org, Response):
            return org
        codes = [org.currency, *sorted(org.currencies - {org.currency})]
        rows = [{"Code": code, "Description": documents.currency_name(code)} for code in codes]
        return envelope("Currencies", queries.where("Currencies", rows))

    def one(self, name: str, document_id: str) -> Response:
        """GET /<Collection>/<id>: one document by its id (an item also by its code)."""
        org = self.gate.admit()
        if isinstance(org, Response):
            return org
        rows: dict[str, dict[str, Any]] = {
            "Invoices": org.invoices,
            "CreditNotes": org.credit_notes,
            "Contacts": org.contacts,
            "Items": org.items,
            "Payments": org.payments,
        }[name]
        other = OTHER_KEY.get(name)
        found = rows.get(document_id) or next(
            (row for row in rows.values() if other and row.get(other) == document_id), None
        )
        if found is None:
            return problem(404, "NotFound", "The resource you're looking for cannot be found")
        return envelope(name, [found])

    def update_invoice(self, document_id: str) -> Response:
        """POST /Invoices/{id}: drafts, submitted and untouched authorised invoices may change."""
        org = self.gate.admit()
        if isinstance(org, Response):
            return org
        places = queries.unit_places()

        def update() -> tuple[int, Any]:
            current = org.invoices.get(document_id)
            if current is None:
                return 404, {"Type": "NotFound", "Message": "The resource cannot be found"}
            raws = documents_of("Invoices")
            if isinstance(raws, Response) or len(raws) != 1:
                return 400, validation_failure("Send one invoice in Invoices")
            (raw,) = raws
            errors = documents.update_errors(org, current, raw)
            if errors:
                return batch_result("Invoices", [with_errors(dict(raw), errors)])
            merged = {**current, **raw, "Contact": raw.get("Contact", current["Contact"])}
            priced = documents.priced(org, merged, places, self.state.clock())
            updated = {**current, **priced}
            updated.update(AmountDue=updated["Total"])
            org.invoices[document_id] = updated
            self.state.webhooks.changed(org, "Invoices", updated, created=False)
            return batch_result("Invoices", [updated])

        return self._write(org, update)

    def allocate(self, document_id: str) -> Response:
        """PUT /CreditNotes/{id}/Allocations: credit applied to an authorised invoice's balance."""
        org = self.gate.admit()
        if isinstance(org, Response):
            return org

        def create() -> tuple[int, Any]:
            note = org.credit_notes.get(document_id)
            if note is None:
                return 404, {"Type": "NotFound", "Message": "The resource cannot be found"}
            raws = documents_of("Allocations")
            if isinstance(raws, Response):
                return 400, validation_failure("Send the allocations in Allocations")
            now = self.state.clock()
            made = [documents.allocated(org, note, raw, now) for raw in raws]
            for allocation in made:  # the invoice's balance and the note's credit changed
                if not allocation.get("HasErrors") and "AllocationID" in allocation:
                    invoice = org.invoices[allocation["Invoice"]["InvoiceID"]]
                    invoice["UpdatedDateUTC"] = note["UpdatedDateUTC"] = ms_time(now)
                    self.state.webhooks.changed(org, "Invoices", invoice, created=False)
                    self.state.webhooks.changed(org, "CreditNotes", note, created=False)
            return batch_result("Allocations", made)

        return self._write(org, create)
