"""Xero: its identity service (consent, tokens, connections) and its accounting API for one
organisation."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from cbxero.domain.connection import TokenSet, XeroTenant

if TYPE_CHECKING:  # only annotations here: functions that never call Xero skip building these
    from cbxero.domain.xero import (
        Account,
        Allocation,
        Contact,
        CreditNote,
        Currency,
        Invoice,
        Item,
        Organisation,
        Payment,
        TaxRate,
        TrackingCategory,
    )


class XeroAuthorizer(ABC):
    """Xero's identity service: authorization URL, code exchange, refresh, tenant list."""

    @abstractmethod
    def authorization_url(self, state: str, code_challenge: str) -> str:
        """The consent URL; code_challenge is PKCE's S256 challenge."""

    @abstractmethod
    def exchange_code(self, code: str, code_verifier: str) -> TokenSet:
        """Redeem a code with the PKCE verifier of the flow that asked for it."""

    @abstractmethod
    def refresh(self, tokens: TokenSet) -> TokenSet: ...

    @abstractmethod
    def tenants(self, tokens: TokenSet) -> list[XeroTenant]: ...

    @abstractmethod
    def revoke(self, tokens: TokenSet) -> None:
        """Revoke the refresh token (and the access tokens issued from it)."""

    @abstractmethod
    def disconnect(self, tokens: TokenSet, connection_id: str) -> None:
        """Remove the app's connection to one organisation."""


class XeroChanges(NamedTuple):
    """What changed in an organisation since a time (If-Modified-Since), every page."""

    invoices: list[Invoice]
    credit_notes: list[CreditNote]
    contacts: list[Contact]


class XeroAccounting(ABC):
    """The accounting endpoints, for one organisation with a valid access token."""

    # How messages name the organisation ("account 999 is not ... of Demo Ltd").
    organisation_name: str = "the organisation"
    # Which organisation the calls go to ("": not told), for what is kept per organisation.
    tenant_id: str = ""

    @abstractmethod
    def create_contact(self, contact: Contact, idempotency_key: str) -> Contact: ...

    @abstractmethod
    def items(self, codes: Sequence[str]) -> dict[str, Item]: ...

    @abstractmethod
    def all_items(self) -> list[Item]: ...

    @abstractmethod
    def create_item(self, item: Item, idempotency_key: str) -> Item: ...

    @abstractmethod
    def contact(self, contact_id: str) -> Contact:
        """One contact by id; raises NotFound."""

    @abstractmethod
    def contacts(self, search: str | None = None) -> list[Contact]:
        """The organisation's active contacts, every page; with `search`, those with it in their
        name, number or email, in any case (Xero's `searchTerm`). Archived ones never."""

    @abstractmethod
    def contacts_matching(self, criteria: Mapping[str, str]) -> list[Contact]:
        """Active contacts with any of these field values (ContactNumber, TaxNumber, ...), one
        query read to its last page. Archived ones never: they are never matched."""

    @abstractmethod
    def invoices_by_reference(self, references: Sequence[str]) -> list[Invoice]:
        """Sales invoices whose Reference names one of these, in every status: a voided or
        deleted one is the order's too (and is never made again by itself)."""

    @abstractmethod
    def credit_notes_by_reference(self, references: Sequence[str]) -> list[CreditNote]:
        """As `invoices_by_reference`, for credit notes."""

    @abstractmethod
    def invoices(self, ids: Sequence[str]) -> list[Invoice]:
        """These invoices in any status (voided and deleted too), however many, batched;
        ids Xero does not know are left out."""

    @abstractmethod
    def credit_notes(self, ids: Sequence[str]) -> list[CreditNote]:
        """As `invoices`, for credit notes."""

    @abstractmethod
    def contacts_by_id(self, ids: Sequence[str]) -> list[Contact]:
        """These contacts in any status (archived and merged ones too), batched."""

    @abstractmethod
    def changed_since(self, since: datetime) -> XeroChanges:
        """Invoices, credit notes and contacts (archived ones too) Xero changed after `since`."""

    @abstractmethod
    def invoice_by_number(self, number: str) -> Invoice | None: ...

    @abstractmethod
    def invoice(self, invoice_id: str) -> Invoice: ...

    @abstractmethod
    def latest_editable_invoice(self, contact_id: str, currency: str) -> Invoice | None:
        """The contact's newest invoice Xero still lets change, if it is in this currency."""

    @abstractmethod
    def latest_invoice_due(self, contact_id: str, currency: str) -> Invoice | None:
        """The contact's newest authorised invoice in this currency, if it has a balance."""

    @abstractmethod
    def update_invoice(self, invoice: Invoice, idempotency_key: str) -> Invoice:
        """Replace an invoice's lines (all of them are sent: Xero drops lines left out)."""

    @abstractmethod
    def create_invoices(self, invoices: Sequence[Invoice], idempotency_key: str) -> list[Invoice]:
        """Many invoices, up to 50 a call; each comes back with its own validation errors."""

    @abstractmethod
    def create_credit_notes(
        self, notes: Sequence[CreditNote], idempotency_key: str
    ) -> list[CreditNote]: ...

    @abstractmethod
    def allocate(
        self, credit_note_id: str, allocation: Allocation, idempotency_key: str
    ) -> Allocation: ...

    @abstractmethod
    def accounts(self) -> list[Account]: ...

    @abstractmethod
    def tax_rates(self) -> list[TaxRate]: ...

    @abstractmethod
    def create_payments(self, payments: Sequence[Payment], idempotency_key: str) -> list[Payment]:
        """Many payments, up to 50 a call; each comes back with its own validation errors."""

    @abstractmethod
    def payments_by_reference(self, references: Sequence[str]) -> list[Payment]:
        """Live payments (not deleted) whose Reference is one of these, batched."""

    @abstractmethod
    def payments_of_invoices(self, invoice_ids: Sequence[str]) -> list[Payment]:
        """Live payments against these invoices, batched."""

    @abstractmethod
    def tracking_categories(self) -> list[TrackingCategory]:
        """The organisation's ACTIVE tracking categories, each with its ACTIVE options."""

    @abstractmethod
    def currencies(self) -> list[Currency]:
        """The currencies the organisation has enabled, its base currency among them."""

    @abstractmethod
    def organisation(self) -> Organisation: ...
