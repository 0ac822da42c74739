"""Xero's accounting API over HTTP, for one organisation: governed, retried, idempotent."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import requests

from cbxero.adapters.retry import jittered_backoff
from cbxero.adapters.wire import utc_stamp
from cbxero.adapters.xero.shared import TIMEOUT
from cbxero.domain.documents import reference_entries
from cbxero.domain.errors import (
    DocumentRejected,
    NotFound,
    RateLimited,
    ReconnectNeeded,
    UpstreamUnavailable,
)
from cbxero.domain.xero import (
    DOCUMENTS_PER_CALL,
    Account,
    Allocation,
    Contact,
    CreditNote,
    CreditNoteType,
    Currency,
    Invoice,
    InvoiceType,
    Item,
    Organisation,
    Payment,
    TaxRate,
    TrackingCategory,
)
from cbxero.ports import RateGovernor, XeroAccounting, XeroChanges

BATCH_SIZE = DOCUMENTS_PER_CALL
LOOKUP_BATCH = 25  # references OR-ed into one `where` (keeps the URL short)
IDS_PER_CALL = 50  # ids in one `IDs=` list (a GUID is 36 characters: the URL stays short)
PAGE_SIZE = 100  # Xero's page; a shorter page is the last
REFUSED = (401, 403)  # the organisation's calls are refused: the connection needs renewing


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class XeroClient(XeroAccounting):
    """Accounting API calls for one organisation; `xero-tenant-id` on every call.

    Every call goes through the rate governor (shared limits across Lambdas). A 429 pauses the
    organisation for Retry-After: a short wait is slept, a long one raises RateLimited for the
    worker to redeliver the job later. 5xx answers and timeouts are retried a bounded number of
    times with jittered back-off; that is safe for writes because each carries an Idempotency-Key.
    """

    def __init__(
        self,
        *,
        api_url: str,
        tenant_id: str,
        access_token: str,
        http: requests.Session,
        governor: RateGovernor | None = None,
        sleep: Callable[[float], None] = time.sleep,
        on_refused: Callable[[str], None] | None = None,
        attempts: int = 4,
        longest_sleep: float = 5.0,
        timeout: tuple[float, float] = TIMEOUT,
        organisation_name: str | None = None,
    ) -> None:
        if organisation_name:
            self.organisation_name = organisation_name
        self._base = f"{api_url}/api.xro/2.0"
        self._timeout = timeout
        self._http = http
        self._tenant_id = self.tenant_id = tenant_id
        self._governor = governor
        self._sleep = sleep
        # Told, with the reason, when Xero refuses the organisation (401, or 403: disconnected
        # inside Xero).
        self._on_refused = on_refused
        self._attempts = attempts
        self._longest_sleep = longest_sleep
        self._headers = {
            "Authorization": f"Bearer {access_token}",
            "xero-tenant-id": tenant_id,
            "Accept": "application/json",
        }

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        permit = self._governor.acquire(self._tenant_id) if self._governor else None
        try:
            return self._http.request(method, url, timeout=self._timeout, **kwargs)
        finally:
            if permit is not None and self._governor is not None:
                self._governor.release(permit)

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        modified_since: datetime | None = None,
    ) -> dict[str, Any]:
        headers = dict(self._headers)
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        if modified_since:
            headers["If-Modified-Since"] = utc_stamp(modified_since)
        what = f"Xero {method} {path}"
        for attempt in range(self._attempts):
            try:
                response = self._send(
                    method, self._base + path, params=params, json=body, headers=headers
                )
            except requests.RequestException as error:
                problem = f"{what}: {type(error).__name__}"
            else:
                if response.status_code == 429:  # pause the organisation first, for everyone
                    self._wait_out(response, what)
                    problem = f"{what} answered 429 {attempt + 1} times"
                    continue
                if self._governor is not None:
                    self._governor.observe(self._tenant_id, response.headers)
                if response.status_code in REFUSED:
                    reason = _refusal(response)
                    if self._on_refused is not None:
                        self._on_refused(reason)
                    raise ReconnectNeeded(reason)
                if response.status_code < 500:
                    return _result(response)
                problem = f"{what} answered {response.status_code}"
            if attempt + 1 < self._attempts:
                self._sleep(jittered_backoff(attempt))
        raise UpstreamUnavailable(problem)

    def _wait_out(self, response: requests.Response, what: str) -> None:
        retry_after = float(response.headers.get("Retry-After") or 60)
        if self._governor is not None:
            self._governor.pause(self._tenant_id, retry_after)
        if retry_after > self._longest_sleep:
            problem = response.headers.get("X-Rate-Limit-Problem", "rate")
            raise RateLimited(
                f"{what}: Xero's {problem} limit was reached", retry_after=retry_after
            )
        self._sleep(retry_after)

    def contacts_matching(self, criteria: Mapping[str, str]) -> list[Contact]:
        """Active contacts equal to any of the criteria (field -> value), every page; archived
        ones left out (as Xero does without includeArchived) whatever a `where` brings."""
        clause = " OR ".join(f"{name}=={_quoted(value)}" for name, value in criteria.items())
        return _active(self._paged("Contacts", {"where": clause}))

    def create_contact(self, contact: Contact, idempotency_key: str) -> Contact:
        # Refused, e.g., when the name is another contact's.
        made = self._write_one("PUT", "/Contacts", "Contacts", contact.to_xero(), idempotency_key)
        return Contact.model_validate(made)

    def all_items(self) -> list[Item]:
        # GET /Items takes no `page` in Xero's spec: one answer holds every item.
        return [Item.model_validate(raw) for raw in self._call("GET", "/Items").get("Items") or []]

    def create_item(self, item: Item, idempotency_key: str) -> Item:
        made = self._write_one("PUT", "/Items", "Items", item.to_xero(), idempotency_key)
        return Item.model_validate(made)

    def _write_one(
        self,
        method: str,
        path: str,
        collection: str,
        document: dict[str, Any],
        idempotency_key: str,
        **params: str,
    ) -> dict[str, Any]:
        """Write one element with summarizeErrors=false (its errors come back with it): the
        element as Xero answered, or DocumentRejected naming its errors (nothing was written)."""
        answer = self._call(
            method,
            path,
            params={**params, "summarizeErrors": "false"},
            body={collection: [document]},
            idempotency_key=idempotency_key,
        )
        element: dict[str, Any] = answer[collection][0]
        if element.get("HasErrors"):
            raise DocumentRejected(_element_errors(element))
        return element

    def contact(self, contact_id: str) -> Contact:
        return Contact.model_validate(self._call("GET", f"/Contacts/{contact_id}")["Contacts"][0])

    def contacts(self, search: str | None = None) -> list[Contact]:
        """Every page (Xero's are 100 contacts), archived contacts never."""
        return _active(self._paged("Contacts", {"searchTerm": search} if search else {}))

    def items(self, codes: Sequence[str]) -> dict[str, Item]:
        # One call for the whole catalogue beats one per code (and Items has no pages).
        wanted = set(codes)
        return {item.code: item for item in self.all_items() if item.code in wanted}

    def invoices_by_reference(self, references: Sequence[str]) -> list[Invoice]:
        """Sales invoices whose Reference names one of these (alone, or in a list "SO1, SO2" as
        an existing invoice collects them), LOOKUP_BATCH to a call, in every status: the sync
        must see a voided or deleted one, so as never to make it again by itself."""
        return [Invoice.model_validate(raw) for raw in self._by_reference("Invoices", references)]

    def credit_notes_by_reference(self, references: Sequence[str]) -> list[CreditNote]:
        return [
            CreditNote.model_validate(raw) for raw in self._by_reference("CreditNotes", references)
        ]

    def changed_since(self, since: datetime) -> XeroChanges:
        """Three paged reads with If-Modified-Since; contacts with archived ones included. Only
        sales documents (the product never makes bills, whose rows it could not read)."""
        return XeroChanges(
            invoices=[
                Invoice.model_validate(raw)
                for raw in self._paged("Invoices", {"unitdp": "4"}, modified_since=since)
                if raw.get("Type") == InvoiceType.SALES
            ],
            credit_notes=[
                CreditNote.model_validate(raw)
                for raw in self._paged("CreditNotes", {"unitdp": "4"}, modified_since=since)
                if raw.get("Type") == CreditNoteType.SALES
            ],
            contacts=[
                Contact.model_validate(raw)
                for raw in self._paged(
                    "Contacts", {"includeArchived": "true"}, modified_since=since
                )
            ],
        )

    def _by_reference(self, collection: str, references: Sequence[str]) -> list[dict[str, Any]]:
        wanted = sorted(set(references))
        found: list[dict[str, Any]] = []
        for start in range(0, len(wanted), LOOKUP_BATCH):
            batch = wanted[start : start + LOOKUP_BATCH]
            clause = " OR ".join(f"Reference.Contains({_quoted(ref)})" for ref in batch)
            # Paged, to the last page: Contains can match many documents of other orders.
            found.extend(
                raw
                for raw in self._paged(collection, {"where": clause, "unitdp": "4"})
                if set(batch) & set(reference_entries(raw.get("Reference")))
            )
        return found

    def invoices(self, ids: Sequence[str]) -> list[Invoice]:
        return [Invoice.model_validate(raw) for raw in self._by_ids("Invoices", ids)]

    def credit_notes(self, ids: Sequence[str]) -> list[CreditNote]:
        return [CreditNote.model_validate(raw) for raw in self._by_ids("CreditNotes", ids)]

    def contacts_by_id(self, ids: Sequence[str]) -> list[Contact]:
        found = self._by_ids("Contacts", ids, includeArchived="true")
        return [Contact.model_validate(raw) for raw in found]

    def _by_ids(self, collection: str, ids: Sequence[str], **params: str) -> list[dict[str, Any]]:
        wanted = sorted(set(ids))
        found: list[dict[str, Any]] = []
        for start in range(0, len(wanted), IDS_PER_CALL):
            batch = ",".join(wanted[start : start + IDS_PER_CALL])
            found.extend(self._paged(collection, {**params, "IDs": batch, "unitdp": "4"}))
        return found

    def _paged(
        self,
        collection: str,
        params: Mapping[str, str],
        *,
        modified_since: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """Every page of a list, from page 1 until a page comes back short."""
        rows: list[dict[str, Any]] = []
        for number in range(1, 10_000):
            answer = self._call(
                "GET",
                f"/{collection}",
                params={**params, "page": str(number), "pageSize": str(PAGE_SIZE)},
                modified_since=modified_since,
            )
            page = answer.get(collection) or []
            rows.extend(page)
            if len(page) < PAGE_SIZE:
                break
        return rows

    def invoice_by_number(self, number: str) -> Invoice | None:
        found = self._call(
            "GET", "/Invoices", params={"InvoiceNumbers": number, "unitdp": "4"}
        ).get("Invoices")
        return Invoice.model_validate(found[0]) if found else None

    def invoice(self, invoice_id: str) -> Invoice:
        answer = self._call("GET", f"/Invoices/{invoice_id}", params={"unitdp": "4"})
        return Invoice.model_validate(answer["Invoices"][0])

    def latest_editable_invoice(self, contact_id: str, currency: str) -> Invoice | None:
        """The contact's newest sales invoice that may still change, in this currency."""
        latest = self._latest(contact_id, currency, "DRAFT,SUBMITTED,AUTHORISED")
        return latest if latest is not None and latest.editable else None

    def latest_invoice_due(self, contact_id: str, currency: str) -> Invoice | None:
        """The contact's newest authorised sales invoice in this currency, if it has a balance."""
        latest = self._latest(contact_id, currency, "AUTHORISED")
        return latest if latest is not None and (latest.amount_due or 0) > 0 else None

    def _latest(self, contact_id: str, currency: str, statuses: str) -> Invoice | None:
        # Type and currency in the query: a page of newer others could hide the answer.
        wanted = f"Type=={_quoted(InvoiceType.SALES)} AND CurrencyCode=={_quoted(currency)}"
        answer = self._call(
            "GET",
            "/Invoices",
            params={
                "ContactIDs": contact_id,
                "Statuses": statuses,
                "where": wanted,
                "order": "Date DESC",
                "page": "1",
                "unitdp": "4",
            },
        )
        for raw in answer.get("Invoices") or []:
            invoice = Invoice.model_validate(raw)
            if invoice.type is InvoiceType.SALES and invoice.currency_code == currency:
                return invoice
        return None

    def update_invoice(self, invoice: Invoice, idempotency_key: str) -> Invoice:
        path = f"/Invoices/{invoice.invoice_id}"
        updated = self._write_one(
            "POST", path, "Invoices", invoice.to_xero(), idempotency_key, unitdp="4"
        )
        return Invoice.model_validate(updated)

    def create_invoices(self, invoices: Sequence[Invoice], idempotency_key: str) -> list[Invoice]:
        return [
            Invoice.model_validate(raw)
            for raw in self._put_many("Invoices", [i.to_xero() for i in invoices], idempotency_key)
        ]

    def create_credit_notes(
        self, notes: Sequence[CreditNote], idempotency_key: str
    ) -> list[CreditNote]:
        return [
            CreditNote.model_validate(raw)
            for raw in self._put_many("CreditNotes", [n.to_xero() for n in notes], idempotency_key)
        ]

    def _put_many(
        self,
        collection: str,
        documents: list[dict[str, Any]],
        idempotency_key: str,
        *,
        unitdp: bool = True,
    ) -> list[dict[str, Any]]:
        """PUT in calls of up to 50, summarizeErrors=false so each document keeps its errors;
        each call has its own key derived from the caller's (same batch, same keys)."""
        results: list[dict[str, Any]] = []
        params = {"unitdp": "4"} if unitdp else {}
        for start in range(0, len(documents), BATCH_SIZE):
            key = idempotency_key if start == 0 else f"{idempotency_key}:{start // BATCH_SIZE}"
            answer = self._call(
                "PUT",
                f"/{collection}",
                params={**params, "summarizeErrors": "false"},
                body={collection: documents[start : start + BATCH_SIZE]},
                idempotency_key=key[:128],
            )
            results.extend(answer.get(collection) or [])
        return results

    def allocate(
        self, credit_note_id: str, allocation: Allocation, idempotency_key: str
    ) -> Allocation:
        path = f"/CreditNotes/{credit_note_id}/Allocations"
        made = self._write_one("PUT", path, "Allocations", allocation.to_xero(), idempotency_key)
        return Allocation.model_validate(made)

    def create_payments(self, payments: Sequence[Payment], idempotency_key: str) -> list[Payment]:
        sent = [p.to_xero() for p in payments]
        # No unitdp here: Xero's createPayments takes summarizeErrors and nothing else.
        made = self._put_many("Payments", sent, idempotency_key, unitdp=False)
        return [Payment.model_validate(raw) for raw in made]

    def payments_by_reference(self, references: Sequence[str]) -> list[Payment]:
        return self._payments_where("Reference=={}", references)

    def payments_of_invoices(self, invoice_ids: Sequence[str]) -> list[Payment]:
        return self._payments_where('Invoice.InvoiceID==Guid("{}")', invoice_ids, quote=False)

    def _payments_where(
        self, term: str, values: Sequence[str], *, quote: bool = True
    ) -> list[Payment]:
        wanted = sorted(set(values))
        found: list[Payment] = []
        for start in range(0, len(wanted), LOOKUP_BATCH):
            batch = wanted[start : start + LOOKUP_BATCH]
            clause = " OR ".join(term.format(_quoted(v) if quote else v) for v in batch)
            rows = self._paged("Payments", {"where": clause})
            found.extend(
                Payment.model_validate(raw) for raw in rows if raw.get("Status") != "DELETED"
            )
        return found

    def accounts(self) -> list[Account]:
        return [Account.model_validate(raw) for raw in self._call("GET", "/Accounts")["Accounts"]]

    def tax_rates(self) -> list[TaxRate]:
        return [TaxRate.model_validate(raw) for raw in self._call("GET", "/TaxRates")["TaxRates"]]

    def tracking_categories(self) -> list[TrackingCategory]:
        # Without includeArchived Xero lists only ACTIVE categories and options.
        listed = self._call("GET", "/TrackingCategories")["TrackingCategories"]
        return [TrackingCategory.model_validate(raw) for raw in listed]

    def currencies(self) -> list[Currency]:
        found = self._call("GET", "/Currencies").get("Currencies") or []
        return [Currency.model_validate(raw) for raw in found]

    def organisation(self) -> Organisation:
        return Organisation.model_validate(self._call("GET", "/Organisation")["Organisations"][0])


def _active(rows: list[dict[str, Any]]) -> list[Contact]:
    contacts = (Contact.model_validate(raw) for raw in rows)
    return [contact for contact in contacts if not contact.archived]


def _refusal(response: requests.Response) -> str:
    if response.status_code == 401:
        return "Xero refused the access token; reconnect Xero"
    # 403: the organisation is no longer connected to the app (removed under Connected Apps,
    # the user lost the right to connect apps, or the organisation is gone).
    return "Xero refused access to the organisation (disconnected in Xero?); reconnect Xero"


def _result(response: requests.Response) -> dict[str, Any]:
    """A 2xx or 4xx answer (`_call` has already turned 401/403 into ReconnectNeeded)."""
    if response.status_code == 400:
        raise DocumentRejected(_validation_message(response))
    if response.status_code == 404:
        raise NotFound(f"Xero has no {response.request.path_url.split('?')[0]}")
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def _element_errors(element: dict[str, Any]) -> str:
    return "; ".join(e.get("Message", "") for e in element.get("ValidationErrors") or [])


def _validation_message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"Xero answered 400: {response.text[:200]}"
    messages = [
        error.get("Message", "")
        for element in body.get("Elements", [])
        for error in element.get("ValidationErrors", [])
    ]
    return "; ".join(m for m in messages if m) or str(body.get("Message", "Xero answered 400"))
